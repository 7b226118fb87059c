// Package loop runs onemrc's request pipeline on gnet event loops.
//
// Each gnet event loop gets one Pipeline, bound on the first connection the loop opens
// (gnet has no public loop index; OnOpen runs on the owning loop's goroutine). A
// connection carries its Conn state in its gnet context. OnTraffic hands everything
// buffered to the pipeline, writes all of the batch's responses with one Write, and
// discards the bytes consumed: a partial request stays buffered in gnet until more
// arrives.
package loop

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/onemrc/onemrc/store"
)

// Server is the gnet event handler of the daemon.
type Server struct {
	gnet.BuiltinEventEngine

	cfg   Config
	store *store.Store

	mu        sync.Mutex
	pipelines map[gnet.EventLoop]*Pipeline
	order     []*Pipeline // pipelines in creation order

	engine   atomic.Pointer[gnet.Engine]
	open     atomic.Int64
	rejected atomic.Int64 // connections refused by MaxConns

	lastDate int64 // second of the last Date refresh; ticker goroutine only

	// newReadPauser finds how to pause reads on a loop, given its first connection
	// (pause_linux.go); nil (tests with fake connections) never pauses.
	newReadPauser func(gnet.Conn) (readPauser, error)
}

// NewServer makes the handler; pass it to gnet.Run.
func NewServer(st *store.Store, cfg Config) *Server {
	s := &Server{cfg: cfg, store: st, pipelines: make(map[gnet.EventLoop]*Pipeline), newReadPauser: newReadPauser}
	return s
}

// Store returns the store the server counts into.
func (s *Server) Store() *store.Store { return s.store }

// Engine returns the running engine, or false before OnBoot.
func (s *Server) Engine() (gnet.Engine, bool) {
	e := s.engine.Load()
	if e == nil {
		return gnet.Engine{}, false
	}
	return *e, true
}

// OpenConnections is the number of connections open now.
func (s *Server) OpenConnections() int64 { return s.open.Load() }

// OnBoot records the engine so that the daemon can stop it.
func (s *Server) OnBoot(e gnet.Engine) gnet.Action {
	s.engine.Store(&e)
	return gnet.None
}

// OnOpen binds the connection to its loop's pipeline, or refuses it past MaxConns.
func (s *Server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if n := s.open.Add(1); s.cfg.MaxConns > 0 && n > int64(s.cfg.MaxConns) {
		s.rejected.Add(1)
		// Served connections keep their slots; the newcomer learns why it is turned away.
		return appendError(nil, http.StatusServiceUnavailable, closeAfter, "too many connections", "", false), gnet.Close
	}
	el := c.EventLoop()
	s.mu.Lock()
	p := s.pipelines[el]
	if p == nil {
		p = NewPipeline(s.store, s.cfg)
		p.el = el
		p.id = len(s.order)
		if s.newReadPauser != nil {
			var err error
			if p.reads, err = s.newReadPauser(c); err != nil {
				// Every loop finds its poller the same way: this build cannot pause reads
				// with this gnet, and without that neither memory nor half-close
				// delivery is what the daemon promises.
				panic("BUG: " + err.Error())
			}
		}
		s.pipelines[el] = p
		s.order = append(s.order, p)
	}
	s.mu.Unlock()
	cs := &Conn{gc: c, lastActive: coarseNow.Load()}
	p.attach(cs)
	c.SetContext(cs)
	return nil, gnet.None
}

// OnClose releases the connection's slot. It may run inside a Write of this loop's
// OnTraffic or sweep (gnet closes a connection whose write failed on the spot): gone tells
// them.
func (s *Server) OnClose(c gnet.Conn, _ error) gnet.Action {
	s.open.Add(-1)
	cs, _ := c.Context().(*Conn)
	if cs == nil {
		return gnet.None
	}
	cs.gone = true
	if cs.pipe != nil {
		cs.pipe.detach(cs)
	}
	return gnet.None
}

// OnTraffic serves every complete request buffered on c. gnet calls it only while c is
// read, that is while nothing is queued for it (output.go).
func (s *Server) OnTraffic(c gnet.Conn) gnet.Action {
	cs, _ := c.Context().(*Conn)
	if cs == nil || cs.closing {
		return gnet.Close
	}
	now := coarseNow.Load()
	if cs.paused {
		cs.resume(now) // gnet reads c again: its queue has drained
		if cs.closeWhenDrained {
			if !cs.startLinger(c, now) {
				return gnet.Close
			}
			return cs.discardWhileLingering(c)
		}
	}
	if cs.lingering {
		return cs.discardWhileLingering(c)
	}
	if cs.closeAfterHeld {
		// The last answers wait for the log; nothing more is served.
		_, _ = c.Discard(-1)
		return gnet.None
	}
	if c.OutboundBuffered() > s.cfg.maxPendingOutput() {
		// Only where reads cannot be paused (pause_other.go): a client that sends
		// requests but does not read the answers is not paid for any longer.
		return gnet.Close
	}
	p := cs.pipe
	// gnet keeps nothing between reads: the connection does (Conn.partial), so Peek is
	// the read just done, a view of the loop's buffer with no copy, and a request that
	// arrives in pieces costs a copy of each new piece only.
	in, err := c.Peek(-1)
	if err != nil || len(in) == 0 {
		return gnet.None
	}
	_, _ = c.Discard(-1) // n <= 0 drops everything; in stays valid until the next read
	p.metrics.add(offBytesIn, uint64(len(in)))
	data, seen := in, 0
	if len(cs.partial) > 0 {
		seen = len(cs.partial)
		cs.partial = append(cs.partial, in...)
		data = cs.partial
	}
	if len(data) < cs.need || cs.parse.Blocked(data, seen) {
		// A trickled body short of Need, or a line whose end has not arrived: nothing to
		// parse yet. Only the new bytes were scanned for a line end.
		cs.keepPartial(data, 0)
		cs.lastActive = now
		return gnet.None
	}
	consumed, closeConn := p.Process(cs, data)
	cs.track(now, p.answered > 0, consumed < len(data), p.req.HeaderDone)
	if !closeConn {
		cs.keepPartial(data, consumed)
	}
	if out := p.Output(); len(out) > 0 {
		if p.mustHold(cs, p.recorded > 0) {
			p.hold(cs, out)
			p.ResetOutput()
		} else {
			open := cs.write(c, out)
			p.ResetOutput()
			if !open {
				return gnet.Close // gnet already closed c; this only ends the callback
			}
		}
	}
	if closeConn {
		cs.partial = nil
		if len(cs.held) > 0 {
			cs.closeAfterHeld = true
			return gnet.None
		}
		return p.closeAfterAnswer(c, cs, now)
	}
	p.pauseIfQueued(cs, now)
	return gnet.None
}

// keepPartial keeps data[consumed:], the start of a request, for the next read. data is
// either the read (a view of gnet's loop buffer, reused by the next read) or c.partial.
func (c *Conn) keepPartial(data []byte, consumed int) {
	rest := data[consumed:]
	switch {
	case len(rest) == 0:
		if cap(c.partial) > maxKeptPartial {
			c.partial = nil // a large request does not pin its buffer on an idle connection
		} else {
			c.partial = c.partial[:0]
		}
	case len(c.partial) > 0 && &rest[0] == &c.partial[consumed]:
		if consumed > 0 {
			c.partial = c.partial[:copy(c.partial, rest)]
		}
	default:
		c.partial = append(c.partial[:0], rest...)
	}
}

// maxKeptPartial is the largest partial-request buffer an idle connection keeps.
const maxKeptPartial = 4 << 10

// OnTick runs on gnet's ticker goroutine: it advances the coarse clock, refreshes the Date
// field each second and queues a sweep on every loop that is due a timeout sweep or has
// paused connections to look at. It never touches a pipeline's connections itself.
func (s *Server) OnTick() (time.Duration, gnet.Action) {
	wall := time.Now()
	now := advanceClock(wall)
	if sec := wall.Unix(); sec != s.lastDate {
		s.lastDate = sec
		refreshDate(wall)
	}
	s.mu.Lock()
	for _, p := range s.pipelines {
		due := now-p.lastSweep >= int64(p.timeouts.sweepEvery())
		if !due && p.nPaused.Load() == 0 || p.sweepQueued.Load() {
			continue
		}
		if due {
			// (Only a full sweep restarts the clock: paused connections, checked every
			// tick, must not starve the timeouts of the others.)
			p.sweepFull.Store(true)
			p.lastSweep = now
		}
		p.sweepQueued.Store(true)
		if err := p.el.Execute(context.Background(), p); err != nil {
			p.sweepQueued.Store(false) // the engine is stopping
		}
	}
	s.mu.Unlock()
	return tickInterval, gnet.None
}
