package loop

import "github.com/panjf2000/gnet/v2"

// Backpressure. gnet writes straight to the socket and queues what the socket does not
// take; left alone it would go on reading a client that sends requests without reading
// the answers, and queue answers without bound. So a connection is read only while
// nothing is queued for it: as soon as a batch's answers leave bytes in gnet's queue, the
// loop stops reading the connection (pause_linux.go) until gnet has written them all,
// and gnet then resumes reading it by itself. A batch answers every complete request
// buffered, so nothing waits unparsed while a connection is paused: what is left is at
// most one partial request, whose rest is still in the kernel.
//
// Two guarantees follow. Memory: a connection holds at most one batch of answers (the
// answers to one read, MaxPendingOutput at the most, see pipeline.Pipeline.Process) plus
// one partial request. Delivery: gnet only sees a client's FIN (a half-close, "I have sent
// everything") when it reads again, which is after every answer was written, so a
// half-closing client gets all of them.

// write hands b to gnet for c and reports whether the connection is still open. When the
// socket refuses the bytes (EPIPE, ECONNRESET) gnet closes the connection inside Write,
// OnClose included, and its descriptor number may be handed to the next client accepted:
// from then on nothing may touch gc, not even to ask for its buffers.
func (c *conn) write(gc gnet.Conn, b []byte) (open bool) {
	_, _ = gc.Write(b)
	return !c.gone
}

// pauseIfQueued stops reading c while gnet holds answers for it. Called after a write
// that left c open.
func (l *eventLoop) pauseIfQueued(c *conn, now int64) {
	if c.paused || c.gc.OutboundBuffered() == 0 {
		return
	}
	if l.reads == nil || l.reads.pause(c.gc) != nil {
		// Without a way to pause, the connection is read on; the pending-output check
		// at the next read bounds what it can queue.
		return
	}
	c.paused = true
	c.pausedAt = now
	c.queuedAtSweep = c.gc.OutboundBuffered()
	if !c.listed {
		c.listed = true
		l.paused = append(l.paused, c)
		l.nPaused.Store(int32(len(l.paused)))
	}
}

// resume clears c's pause once gnet has drained its queue (and so reads it again). The
// request timers stood still while the daemon was not reading: the wait was the client's
// reading, which the send timeout governs.
func (c *conn) resume(now int64) {
	c.paused = false
	if c.requestSince != 0 {
		c.requestSince += now - c.pausedAt
	}
	if c.bodySince != 0 {
		c.bodySince += now - c.pausedAt
	}
	c.lastActive = now
}

// checkPaused runs on the loop (queued by OnTick while connections are paused): it
// resumes the connections gnet has drained, finishing the close of those that asked for
// one, and drops from the list the ones that closed.
func (l *eventLoop) checkPaused(now int64) {
	kept := l.paused[:0]
	for _, c := range l.paused {
		switch {
		case c.gone || !c.paused:
			c.listed = false
			continue // closed, or resumed by a read
		case c.gc.OutboundBuffered() > 0:
			kept = append(kept, c)
			continue
		}
		c.listed = false
		c.resume(now)
		if c.closeWhenDrained && !c.startLinger(c.gc, now) {
			c.closing = true
			_ = c.gc.Close()
		}
	}
	clear(l.paused[len(kept):])
	l.paused = kept
	l.nPaused.Store(int32(len(kept)))
}
