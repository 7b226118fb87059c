// Package loop is the gnet adapter: it runs onemrc's request pipeline (package pipeline)
// on gnet event loops and does what only a socket needs: the connection list and its
// timeout sweep, the lingering close, backpressure (reads pause while answers are
// queued), and answers held until the write-ahead log has their events.
//
// Each gnet event loop gets one pipeline, bound on the first connection the loop opens
// (gnet has no public loop index; OnOpen runs on the owning loop's goroutine). A
// connection carries its state in its gnet context. OnTraffic hands the read to the
// pipeline, writes all of the batch's answers with one Write, and discards the read: the
// pipeline keeps the start of a partial request itself. Invariants:
//   - A loop's state and its connections are touched only on its goroutine; OnTick (its
//     own goroutine) queues work there with EventLoop.Execute.
//   - After a Write nothing touches a connection gnet closed inside it (conn.gone): its
//     descriptor number may already serve another client.
//   - A connection is read only while nothing is queued for it (output.go), so it holds at
//     most one batch of answers and one partial request.
//   - With a log, no answer that acknowledges an event leaves before the event's record
//     (durable.go).
package loop
