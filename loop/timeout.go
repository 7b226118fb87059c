package loop

import (
	"context"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/onemrc/onemrc/internal/clock"
	"github.com/onemrc/onemrc/pipeline"
)

// Timeouts bound how long a connection may hold a slot without progress. gnet has no read
// deadlines, so each loop sweeps its own connections, on its own loop goroutine, a few
// times per shortest timeout. A zero field takes its default; a negative one disables it.
type Timeouts struct {
	// Header is the time from a request's first byte to the end of its header section;
	// past it the client is answered 408 and closed (a slowloris sends a byte a second).
	Header time.Duration
	// Body is the time from the end of the header section to the end of the body.
	Body time.Duration
	// Idle is how long a keep-alive connection may sit with no request in progress before
	// it is closed without an answer (RFC 9112 §9.8 allows this at any time).
	Idle time.Duration
}

// Default timeouts.
const (
	DefaultHeaderTimeout = 10 * time.Second
	DefaultBodyTimeout   = 10 * time.Second
	DefaultIdleTimeout   = 60 * time.Second
)

func (t Timeouts) withDefaults() Timeouts {
	pick := func(v, def time.Duration) time.Duration {
		if v == 0 {
			return def
		}
		return v
	}
	return Timeouts{
		Header: pick(t.Header, DefaultHeaderTimeout),
		Body:   pick(t.Body, DefaultBodyTimeout),
		Idle:   pick(t.Idle, DefaultIdleTimeout),
	}
}

// sweepEvery is how often a loop looks for expired connections: a quarter of the
// shortest enabled timeout, between one tick and one second.
func (t Timeouts) sweepEvery() time.Duration {
	every := time.Second
	for _, d := range []time.Duration{t.Header, t.Body, t.Idle} {
		if d > 0 && d/4 < every {
			every = d / 4
		}
	}
	return max(every, tickInterval)
}

// expiry says what a sweep does with one connection.
type expiry uint8

const (
	alive         expiry = iota
	expiredHeader        // 408, then close
	expiredBody          // 408, then close
	expiredIdle          // close silently
	expiredLinger        // close silently: the lingering close is over
	expiredSend          // close silently: answers queued and not read for Idle
)

// check classifies c at time now (nanoseconds on the coarse clock). A paused connection
// waits for its client to read, not to send: only the send timeout (Idle without the
// queue shrinking, as lastActive records) applies to it.
func (t Timeouts) check(c *conn, now int64) expiry {
	switch {
	case c.lingering:
		if now-c.lastActive > int64(lingerTime) {
			return expiredLinger
		}
	case c.paused:
		if t.Idle > 0 && now-c.lastActive > int64(t.Idle) {
			return expiredSend
		}
	case c.requestSince == 0:
		if t.Idle > 0 && now-c.lastActive > int64(t.Idle) {
			return expiredIdle
		}
	case c.bodySince == 0:
		if t.Header > 0 && now-c.requestSince > int64(t.Header) {
			return expiredHeader
		}
	default:
		if t.Body > 0 && now-c.bodySince > int64(t.Body) {
			return expiredBody
		}
	}
	return alive
}

// track stamps c after the pipeline served a read (pipeline.Batch). completed reports
// that requests were answered; partial that bytes of an unfinished request remain
// buffered; headerDone that its header section was complete. A timer measures one request: it starts with the read
// that brought the request's first byte and stops when the request completes, so a
// request that follows completed ones in a read starts its clocks at that read, however
// long the connection has been pipelining.
func (c *conn) track(now int64, completed, partial, headerDone bool) {
	c.lastActive = now
	if completed || !partial {
		if c.requestSince != 0 {
			c.setInFlight(-1)
		}
		c.requestSince, c.bodySince = 0, 0
	}
	if !partial {
		return
	}
	if c.requestSince == 0 {
		c.requestSince = now
		c.setInFlight(+1)
	}
	if headerDone && c.bodySince == 0 {
		c.bodySince = now
	}
}

// sweeper is a loop's sweep as a task for EventLoop.Execute.
type sweeper struct{ l *eventLoop }

// Run is the sweep. It runs on the loop's goroutine (OnTick schedules it with
// EventLoop.Execute): it resumes the paused connections gnet has drained and, when a full
// sweep is due, answers and closes every connection whose timeout ran out.
func (s sweeper) Run(context.Context) error {
	l := s.l
	now := clock.Coarse.Load()
	if len(l.paused) > 0 {
		l.checkPaused(now)
	}
	if l.sweepFull.Swap(false) {
		l.sweep(now)
	}
	l.sweepQueued.Store(false)
	return nil
}

// sweep closes the connections whose timeouts ran out, and lets the pipeline drop the
// request buffers it kept that no request used since the last sweep.
func (l *eventLoop) sweep(now int64) {
	p := l.pipe
	p.TrimSpares()
	for i := 0; i < len(l.conns); i++ {
		c := l.conns[i]
		if c.paused {
			// A queue that shrank since the last sweep is a client reading, however slowly.
			if q := c.gc.OutboundBuffered(); q < c.queuedAtSweep {
				c.lastActive = now
				c.queuedAtSweep = q
			}
		}
		exp := l.timeouts.check(c, now)
		if exp == alive || c.closing || len(c.held) > 0 {
			// (Answers held for the log wait on the daemon, not the client; a 408 must
			// not overtake them either.)
			continue
		}
		switch exp {
		case expiredHeader, expiredBody:
			l.sweepOut = p.AppendTimeout(l.sweepOut[:0], exp == expiredBody)
			if !c.write(c.gc, l.sweepOut) {
				// gnet closed c inside the write and OnClose moved the last connection
				// into slot i: look at slot i again.
				i--
				continue
			}
			// A client still sending (a slowloris) would have its bytes answered with a
			// reset that can destroy the 408: close by lingering, as after any answer.
			c.Forget()
			if l.closeAfterAnswer(c.gc, c, now) != gnet.Close {
				continue
			}
		case expiredIdle:
			p.CountClosed(pipeline.ClosedIdle)
		case expiredLinger:
			p.CountClosed(pipeline.ClosedLinger)
		case expiredSend:
			p.CountClosed(pipeline.ClosedSend)
		}
		// Close is queued on this loop and runs after the sweep; OnClose then drops c.
		c.closing = true
		_ = c.gc.Close()
	}
	p.PublishMetrics()
}

// setInFlight moves the loop's count of requests in progress (bytes buffered, no answer
// yet).
func (c *conn) setInFlight(delta int64) {
	if c.loop == nil {
		return
	}
	c.loop.pipe.AddInFlight(&c.Conn, delta)
}
