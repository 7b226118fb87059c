// Package redistest starts redis-server processes of a test's own (one server, a Redis
// Cluster, a sentinel) on loopback ports, and talks to them without a client library.
//
// A test that needs one is skipped where redis-server (or redis-cli, for a cluster) is
// not installed, unless ONEMRC_REQUIRE_REDIS is set (CI sets it): it then fails, so that
// a missing install cannot pass for a green run. Every process is killed by its PID when
// the test ends.
//
// The helpers call t.Fatal, so they belong on the test's own goroutine.
package redistest
