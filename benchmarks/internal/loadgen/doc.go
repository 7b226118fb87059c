// Package loadgen is the 1MRC load client: it sends the challenge's
// POST /event stream over raw keep-alive TCP connections and measures
// per-request latency.
//
// The connections run on gnet v2 client event loops. Measured against a
// goroutine per connection over net.Conn with BenchmarkDriver (2 cores,
// client and a canned gnet server in one process, 1,000 connections,
// pipeline 1), the event loop cost 15-16 µs of CPU per request in total
// against 18.5-20 µs: one read and one write per request, and no parked
// goroutines or EAGAIN reads. Either way the write syscall dominates (the
// loopback write runs the receiver's TCP path), so the client's user-space
// work is a few percent of its cost.
//
// Every event index 0 <= i < n is claimed exactly once from one shared
// atomic counter, so a fast connection simply sends more events and a dead
// one leaves its unclaimed share to the others. Requests are appended from
// a byte template into a per-connection buffer and responses are parsed
// where they were read, so the steady state allocates nothing per request.
package loadgen
