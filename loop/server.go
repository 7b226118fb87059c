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

	engine atomic.Pointer[gnet.Engine]
	open   atomic.Int64
}

// NewServer makes the handler; pass it to gnet.Run.
func NewServer(st *store.Store, cfg Config) *Server {
	return &Server{cfg: cfg, store: st, pipelines: make(map[gnet.EventLoop]*Pipeline)}
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

// OnOpen binds the connection to its loop's pipeline.
func (s *Server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	el := c.EventLoop()
	s.mu.Lock()
	p := s.pipelines[el]
	if p == nil {
		p = NewPipeline(s.store, s.cfg)
		s.pipelines[el] = p
	}
	s.mu.Unlock()
	c.SetContext(&Conn{pipe: p})
	s.open.Add(1)
	return nil, gnet.None
}

// OnClose forgets the connection.
func (s *Server) OnClose(c gnet.Conn, _ error) gnet.Action {
	s.open.Add(-1)
	return gnet.None
}

// OnTraffic serves every complete request buffered on c.
func (s *Server) OnTraffic(c gnet.Conn) gnet.Action {
	cs, _ := c.Context().(*Conn)
	if cs == nil {
		return gnet.Close
	}
	if c.OutboundBuffered() > s.cfg.maxPendingOutput() {
		// The client sends requests but does not read the answers: stop paying for it.
		return gnet.Close
	}
	if c.InboundBuffered() < cs.need {
		return gnet.None
	}
	in, err := c.Peek(-1)
	if err != nil || len(in) == 0 {
		return gnet.None
	}
	p := cs.pipe
	consumed, closeConn := p.Process(cs, in)
	if out := p.Output(); len(out) > 0 {
		_, _ = c.Write(out)
		p.ResetOutput()
	}
	if closeConn {
		// gnet flushes the queued output before it closes the socket.
		return gnet.Close
	}
	if consumed > 0 {
		// Discard(0) would drop everything: only discard what was consumed.
		_, _ = c.Discard(consumed)
	}
	return gnet.None
}

// OnTick refreshes the Date field once a second.
func (s *Server) OnTick() (time.Duration, gnet.Action) {
	refreshDate(time.Now())
	return time.Second, gnet.None
}
