package loadgen

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// gnetHandler drives the sessions from gnet client event loops: OnTraffic
// parses every response buffered for a connection and writes the refill in
// one Write.
type gnetHandler struct {
	gnet.BuiltinEventEngine
	r    *run
	open sync.WaitGroup // one count per session until its OnClose
}

// gnetSession links a session to its gnet connection.
type gnetSession struct {
	*session
	conn   gnet.Conn   // set in OnOpen; used on the loop and by timer
	dialed gnet.Conn   // the same connection as seen by the dialing goroutine
	timer  *time.Timer // rate-limit wake-up, made on first need
	closed atomic.Bool // OnClose ran (or the dial failed)
	h      *gnetHandler
}

func (gs *gnetSession) done() {
	if gs.closed.CompareAndSwap(false, true) {
		gs.h.open.Done()
	}
}

// wakeAfter asks the loop for an OnTraffic call once a token is due.
func (gs *gnetSession) wakeAfter(d time.Duration) {
	if gs.timer == nil {
		gs.timer = time.AfterFunc(d, func() { _ = gs.conn.Wake(nil) })
		return
	}
	gs.timer.Reset(d)
}

// OnOpen only binds the connection: sending starts for all connections at
// once, from the Wake that runGnet sends each one when the clock starts.
func (h *gnetHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	gs := c.Context().(*gnetSession)
	gs.conn = c
	h.r.bindHist(gs.session, c.EventLoop()) // OnOpen runs on that loop
	return nil, gnet.None
}

func (h *gnetHandler) OnTraffic(c gnet.Conn) gnet.Action {
	return h.pump(c.Context().(*gnetSession), c)
}

// pump consumes what c has buffered and sends the refill in one Write.
func (h *gnetHandler) pump(gs *gnetSession, c gnet.Conn) gnet.Action {
	s := gs.session
	now := h.r.now()
	if buf, _ := c.Peek(-1); len(buf) > 0 {
		used, err := s.consume(buf, now)
		if used > 0 {
			_, _ = c.Discard(used)
		}
		if err != nil {
			s.fail()
			return gnet.Close
		}
	}
	wait := s.fill(now)
	if len(s.wbuf) > 0 {
		if _, err := c.Write(s.wbuf); err != nil {
			s.fail()
			return gnet.Close
		}
		s.wbuf = s.wbuf[:0]
	}
	if s.inflight == 0 {
		if s.idle() {
			s.finish()
			return gnet.Close
		}
		gs.wakeAfter(wait)
	}
	return gnet.None
}

func (h *gnetHandler) OnClose(c gnet.Conn, _ error) gnet.Action {
	gs := c.Context().(*gnetSession)
	gs.fail() // a no-op when the session finished normally
	gs.done()
	return gnet.None
}

// dialParallelism bounds the connects in flight while the run sets up.
const dialParallelism = 64

// runGnet connects every socket, hands them to gnet client loops, then
// starts the clock and wakes them all at once, so the measured phase runs
// on the full set of connections rather than on a ramp of fresh ones. It
// returns when every connection has closed.
func (r *run) runGnet(ctx context.Context) error {
	h := &gnetHandler{r: r}
	cli, err := gnet.NewClient(h,
		gnet.WithMulticore(true), // one loop per CPU
		gnet.WithLogger(silentLogger{}),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
	)
	if err != nil {
		return err
	}
	if err := cli.Start(); err != nil {
		return err
	}
	defer func() { _ = cli.Stop() }()

	connectStart := r.now()
	sockets := r.dialAll(ctx)
	all := make([]*gnetSession, len(r.sessions))
	for i, s := range r.sessions {
		gs := &gnetSession{session: s, h: h}
		all[i] = gs
		h.open.Add(1)
		if sockets[i] == nil {
			s.fail()
			gs.done()
			continue
		}
		// Enroll duplicates the descriptor into the loop and closes the net.Conn.
		c, err := cli.EnrollContext(sockets[i], gs)
		if err != nil {
			s.fail()
			gs.done()
			continue
		}
		gs.dialed = c
	}
	// Cancelling the run closes every connection; OnClose counts the loss.
	stop := context.AfterFunc(ctx, func() {
		for _, gs := range all {
			if gs.dialed != nil && !gs.closed.Load() {
				_ = gs.dialed.Close()
			}
		}
	})
	defer stop()

	start := r.now()
	r.connectTime = time.Duration(start - connectStart)
	for _, gs := range all {
		if gs.dialed != nil {
			if err := gs.dialed.Wake(nil); err != nil {
				_ = gs.dialed.Close() // its OnClose counts the failure
			}
		}
	}
	h.open.Wait()
	r.elapsed = time.Duration(r.now() - start)
	for _, gs := range all {
		if gs.timer != nil {
			gs.timer.Stop()
		}
	}
	return nil
}

// dialAll connects one socket per session, dialParallelism at a time. A
// failed connect leaves nil in its slot.
func (r *run) dialAll(ctx context.Context) []net.Conn {
	sockets := make([]net.Conn, len(r.sessions))
	dialer := net.Dialer{Timeout: 10 * time.Second}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(dialParallelism, len(sockets)) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(sockets)); i = next.Add(1) - 1 {
				if c, err := dialer.DialContext(ctx, "tcp", r.cfg.Addr); err == nil {
					sockets[i] = c
				}
			}
		})
	}
	wg.Wait()
	return sockets
}

// silentLogger drops gnet's log lines: the challenge prints its own report.
type silentLogger struct{}

func (silentLogger) Debugf(string, ...any) {}
func (silentLogger) Infof(string, ...any)  {}
func (silentLogger) Warnf(string, ...any)  {}
func (silentLogger) Errorf(string, ...any) {}
func (silentLogger) Fatalf(string, ...any) {}
