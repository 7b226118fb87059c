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
	"errors"
	"io"
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
	frozen    bool        // a Quiesce is taking its cut
	thaw      sync.Cond   // signalled when frozen clears; L is &mu

	engine   atomic.Pointer[gnet.Engine]
	open     atomic.Int64
	rejected atomic.Int64 // connections refused by MaxConns

	lastDate int64 // second of the last Date refresh; ticker goroutine only
}

// NewServer makes the handler; pass it to gnet.Run.
func NewServer(st *store.Store, cfg Config) *Server {
	s := &Server{cfg: cfg, store: st, pipelines: make(map[gnet.EventLoop]*Pipeline)}
	s.thaw.L = &s.mu
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
		s.waitThaw()
		p = NewPipeline(s.store, s.cfg)
		p.el = el
		p.id = len(s.order)
		s.pipelines[el] = p
		s.order = append(s.order, p)
	}
	s.mu.Unlock()
	cs := &Conn{gc: c, lastActive: coarseNow.Load()}
	p.attach(cs)
	c.SetContext(cs)
	return nil, gnet.None
}

// OnClose releases the connection's slot. A client that only half-closed still gets the
// answers queued for it (handOff).
func (s *Server) OnClose(c gnet.Conn, err error) gnet.Action {
	s.open.Add(-1)
	cs, _ := c.Context().(*Conn)
	if cs == nil {
		return gnet.None
	}
	if errors.Is(err, io.EOF) && !cs.closing && c.OutboundBuffered() > 0 {
		s.handOff(c, cs)
	}
	if cs.pipe != nil {
		cs.pipe.detach(cs)
	}
	cs.mirror = nil
	return gnet.None
}

// OnTraffic serves every complete request buffered on c.
func (s *Server) OnTraffic(c gnet.Conn) gnet.Action {
	cs, _ := c.Context().(*Conn)
	if cs == nil || cs.closing {
		return gnet.Close
	}
	if cs.lingering {
		return cs.discardWhileLingering(c)
	}
	if c.OutboundBuffered() > s.cfg.maxPendingOutput() {
		// The client sends requests but does not read the answers: stop paying for it.
		return gnet.Close
	}
	p := cs.pipe
	if buffered := c.InboundBuffered(); buffered < cs.need {
		// A trickled body: nothing to parse until Need bytes are here.
		p.metrics.add(offBytesIn, uint64(buffered-cs.leftover))
		cs.leftover = buffered
		cs.lastActive = coarseNow.Load()
		return gnet.None
	}
	in, err := c.Peek(-1)
	if err != nil || len(in) == 0 {
		return gnet.None
	}
	if cs.parse.Blocked(in, cs.leftover) {
		// A line whose end has not arrived: nothing to parse until one does. Only the new
		// bytes, in[cs.leftover:], are scanned for it, so a trickled header or chunk line
		// is parsed once per line end instead of once per read.
		p.metrics.add(offBytesIn, uint64(len(in)-cs.leftover))
		cs.leftover = len(in)
		cs.lastActive = coarseNow.Load()
		return gnet.None
	}
	p.metrics.add(offBytesIn, uint64(len(in)-cs.leftover))
	consumed, closeConn := p.Process(cs, in)
	cs.leftover = len(in) - consumed
	cs.track(coarseNow.Load(), consumed < len(in), p.req.HeaderDone)
	if out := p.Output(); len(out) > 0 {
		cs.write(c, out)
		p.ResetOutput()
	}
	if closeConn {
		return s.closeAfterAnswer(c, cs)
	}
	if consumed > 0 {
		// Discard(0) would drop everything: only discard what was consumed.
		_, _ = c.Discard(consumed)
	}
	return gnet.None
}

// OnTick runs on gnet's ticker goroutine: it advances the coarse clock, refreshes the Date
// field each second and queues a timeout sweep on every loop that is due one. It never
// touches a pipeline's connections itself.
func (s *Server) OnTick() (time.Duration, gnet.Action) {
	wall := time.Now()
	now := advanceClock(wall)
	if sec := wall.Unix(); sec != s.lastDate {
		s.lastDate = sec
		refreshDate(wall)
	}
	s.mu.Lock()
	for _, p := range s.pipelines {
		if now-p.lastSweep < int64(p.timeouts.sweepEvery()) || p.sweepQueued.Load() {
			continue
		}
		p.lastSweep = now
		p.sweepQueued.Store(true)
		if err := p.el.Execute(context.Background(), p); err != nil {
			p.sweepQueued.Store(false) // the engine is stopping
		}
	}
	s.mu.Unlock()
	return tickInterval, gnet.None
}
