// Command onemrcd is the onemrc daemon: the One Million Request Challenge API served by
// gnet event loops (package loop), one request pipeline (package pipeline) and one store
// shard per loop.
//
// This package is the binary's wiring only: flags and environment (config.go), recovery
// from the log and the cluster, the engine's options, the admin listener (pprof,
// metrics), signals and graceful shutdown. Request handling lives in loop and pipeline.
// Invariant: the engine stops only from outside its loops (stopOn), and only after the
// answers the log holds have been let out (Server.Flush).
package main
