package loop

import (
	"context"
	"net/http"

	"github.com/onemrc/onemrc/pipeline"
)

// Quiesce is the end of a drain: the daemon has answered /ready with 503 long enough for
// load balancers to look elsewhere, and now lets its connections go as their requests
// finish. From the call on, every connection is closed (by a lingering close, so that
// nothing the client still sends resets the answers) once it has no request in progress
// and nothing queued or held for it: idle ones at once, the others after the answer to
// the request whose bytes are arriving (the header and body timeouts still bound it).
// A new connection is answered 503 and closed. OpenConnections falls to zero when every
// client is let go; then Engine.Stop loses nothing.
func (s *Server) Quiesce() {
	s.quiescing.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.order {
		l.queueQuiesce()
	}
}

// queueQuiesce runs quiesce on l's goroutine. Called with s.mu held (the loop list).
func (l *eventLoop) queueQuiesce() {
	if l.quiesceQueued.Swap(true) {
		return
	}
	if err := l.el.Execute(context.Background(), quiescer{l}); err != nil {
		l.quiesceQueued.Store(false) // the engine is stopping
	}
}

// quiescer is a loop's quiesce as a task for EventLoop.Execute.
type quiescer struct{ l *eventLoop }

// Run lets go of every connection of the loop that is between requests with nothing
// owed to it. OnTick queues it again every tick while the server quiesces, for the
// connections that get there later (a paused client that read its answers).
func (q quiescer) Run(context.Context) error {
	l := q.l
	l.quiesceQueued.Store(false)
	for _, c := range l.conns {
		if c.closing || c.lingering || c.paused || c.requestSince != 0 || len(c.held) > 0 ||
			c.closeAfterHeld || c.closeWhenDrained || c.gc.OutboundBuffered() > 0 {
			continue
		}
		// Nothing was unread at the last read: a plain close sends FIN, and a client that
		// stopped sending when /ready said 503 sees an orderly end. (Close is queued on
		// this loop and runs after this task; OnClose then drops c, so no slot of l.conns
		// moves under this loop.)
		c.closing = true
		_ = c.gc.Close()
	}
	return nil
}

// quiesceRefusal answers a connection opened while the server quiesces.
var quiesceRefusal = pipeline.AppendClosingError(nil, http.StatusServiceUnavailable, "shutting down")
