// Package pipeline turns the bytes a connection sends into the bytes it is answered:
// parse (httpparse), route (route), decode (event), record (store), respond. It knows nothing
// of sockets or event loops: package loop, the gnet adapter, hands it each read and
// writes what it appended, so every step here is tested and benchmarked without a socket.
//
// One Pipeline serves one event loop and Conn holds one connection's request in progress
// (the bytes of a partial request, where the parser stopped, whether 100 Continue was
// sent). Invariants:
//   - A Pipeline and its Conns belong to one goroutine, their loop's; other goroutines read
//     only what it publishes: its store shard and its counters (SumMetrics).
//   - Every event Process records is published before it returns: once the caller writes
//     the output, any /stats that starts afterwards includes it.
//   - Answers leave in request order, and nothing after a request that closes the
//     connection (or a framing error) is processed.
//   - One batch's answers stop at MaxPendingOutput; the connection is then closed.
//   - In steady state Process and Serve allocate nothing (alloc_test.go).
package pipeline
