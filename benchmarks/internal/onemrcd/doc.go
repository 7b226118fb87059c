// Package onemrcd builds the daemon under test for the benchmark programs, finds it a
// port, starts it and stops it: the steps every load run starts with, kept in one
// place. Process, under Daemon, serves any other child a benchmark runs (redis-server).
package onemrcd
