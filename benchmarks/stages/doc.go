// Package stages measures each stage of onemrc's request path on its own,
// beside the standard-library (or sonic) way of doing the same work, so every
// figure is a ratio and can be set against the projection this project started
// from (parse 10 ns, route 16 ns, dispatch 1,000 ns, serialize 300 ns,
// send 100 ns: 1.4 µs per request).
//
// The package holds only benchmarks and the tests that keep their inputs
// honest; it exports nothing. Run them with `just stages`, which pins the run
// to one core and prints one table through ./table (see README.md).
//
// Every benchmark reports allocations, sets the bytes it consumes, checks its
// result inside the loop and stores it in a package-level sink. Inputs are
// the request bytes real clients sent (httpparse/testdata/requests, the
// repository's one copy of them) plus what wrk's wrk.format emits for the
// project's wrk scripts (testdata/wrk.http).
package stages
