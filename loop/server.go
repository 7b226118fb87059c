package loop

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/onemrc/onemrc/internal/clock"
	"github.com/onemrc/onemrc/pipeline"
	"github.com/onemrc/onemrc/store"
)

// Config is what every loop of a server shares. The zero value serves the 1MRC API with
// the parser's default limits and the default timeouts.
type Config struct {
	Pipeline pipeline.Config
	// MaxConns caps open connections; one more is answered 503 and closed. 0: no cap.
	MaxConns int
	Timeouts Timeouts
	// Log, when set, holds every answer that acknowledges an event until the event's
	// record is in the log (durable.go), synced as Fsync says. LogFailed is told, once,
	// when the log fails; from then on no event is acknowledged.
	Log       Log
	Fsync     FsyncMode
	LogFailed func(error)
}

// ReadSize is how many bytes gnet reads from a socket at a time (gnet.WithReadBufferCap):
// the most requests one batch answers, and so what bounds the answers one batch queues
// (pipeline.DefaultMaxPendingOutput is above what any ReadSize of valid requests asks for).
const ReadSize = 8 << 10

// Server is the gnet event handler of the daemon.
type Server struct {
	gnet.BuiltinEventEngine

	cfg   Config
	store *store.Store

	mu    sync.Mutex
	loops map[gnet.EventLoop]*eventLoop
	order []*eventLoop // loops in creation order: the "loop" label of per-loop metrics

	engine   atomic.Pointer[gnet.Engine]
	open     atomic.Int64
	rejected atomic.Int64 // connections refused by MaxConns

	quiescing atomic.Bool // Quiesce was called: connections go as their requests finish

	lastDate int64 // second of the last Date refresh; ticker goroutine only

	// newReadPauser finds how to pause reads on a loop, given its first connection
	// (pause_linux.go); nil (tests with fake connections) never pauses.
	newReadPauser func(gnet.Conn) (readPauser, error)
}

// NewServer makes the handler; pass it to gnet.Run.
func NewServer(st *store.Store, cfg Config) *Server {
	return &Server{cfg: cfg, store: st, loops: make(map[gnet.EventLoop]*eventLoop), newReadPauser: newReadPauser}
}

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

// OnOpen binds the connection to its loop, or refuses it past MaxConns.
func (s *Server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if n := s.open.Add(1); s.cfg.MaxConns > 0 && n > int64(s.cfg.MaxConns) {
		s.rejected.Add(1)
		// Served connections keep their slots; the newcomer learns why it is turned away.
		return pipeline.AppendClosingError(nil, http.StatusServiceUnavailable, "too many connections"), gnet.Close
	}
	if s.quiescing.Load() {
		return quiesceRefusal, gnet.Close
	}
	el := c.EventLoop()
	s.mu.Lock()
	l := s.loops[el]
	if l == nil {
		l = s.newLoop(el)
		if s.newReadPauser != nil {
			var err error
			if l.reads, err = s.newReadPauser(c); err != nil {
				// Every loop finds its poller the same way: this build cannot pause reads
				// with this gnet, and without that neither memory nor half-close
				// delivery is what the daemon promises.
				panic("BUG: " + err.Error())
			}
		}
		s.loops[el] = l
		s.order = append(s.order, l)
	}
	s.mu.Unlock()
	cs := &conn{gc: c, lastActive: clock.Coarse.Load()}
	l.attach(cs)
	c.SetContext(cs)
	return nil, gnet.None
}

// newLoop makes the state of event loop el, with its own pipeline. Called with s.mu held.
func (s *Server) newLoop(el gnet.EventLoop) *eventLoop {
	l := &eventLoop{pipe: pipeline.New(s.store, s.cfg.Pipeline), el: el, timeouts: s.cfg.Timeouts.withDefaults()}
	if s.cfg.Log != nil {
		l.pipe.EnableLog()
		l.dur = &durability{log: s.cfg.Log, mode: s.cfg.Fsync, logFailed: s.cfg.LogFailed,
			turn: 1} // turn 0: none (synced starts there)
	}
	return l
}

// OnClose releases the connection's slot. It may run inside a Write of this loop's
// OnTraffic or sweep (gnet closes a connection whose write failed on the spot): gone tells
// them.
func (s *Server) OnClose(c gnet.Conn, _ error) gnet.Action {
	s.open.Add(-1)
	cs, _ := c.Context().(*conn)
	if cs == nil {
		return gnet.None
	}
	cs.gone = true
	if cs.loop != nil {
		cs.loop.detach(cs)
	}
	return gnet.None
}

// OnTraffic serves every complete request buffered on c. gnet calls it only while c is
// read, that is while nothing is queued for it (output.go).
func (s *Server) OnTraffic(c gnet.Conn) gnet.Action {
	cs, _ := c.Context().(*conn)
	if cs == nil || cs.closing {
		return gnet.Close
	}
	now := clock.Coarse.Load()
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
	if c.OutboundBuffered() > s.cfg.Pipeline.PendingOutputLimit() {
		// Only where reads cannot be paused (pause_other.go): a client that sends
		// requests but does not read the answers is not paid for any longer.
		return gnet.Close
	}
	l := cs.loop
	p := l.pipe
	// gnet keeps nothing between reads: the pipeline does (pipeline.Conn), so Peek is
	// the read just done, a view of the loop's buffer with no copy.
	in, err := c.Peek(-1)
	if err != nil || len(in) == 0 {
		return gnet.None
	}
	_, _ = c.Discard(-1) // n <= 0 drops everything; in stays valid until the next read
	p.CountBytesIn(len(in))
	b := p.Serve(&cs.Conn, in)
	if !b.Parsed {
		cs.lastActive = now
		return gnet.None
	}
	cs.track(now, b.Answered > 0, b.Partial, b.HeaderDone)
	if out := p.Output(); len(out) > 0 {
		if l.mustHold(cs, b.Recorded > 0) {
			l.hold(cs, out)
			p.ResetOutput()
			if b.Batches > 0 {
				l.endRecord()
			}
		} else {
			open := cs.write(c, out)
			p.ResetOutput()
			if !open {
				return gnet.Close // gnet already closed c; this only ends the callback
			}
		}
	}
	if b.Close || !b.Partial && s.quiescing.Load() {
		if len(cs.held) > 0 {
			cs.closeAfterHeld = true
			return gnet.None
		}
		return l.closeAfterAnswer(c, cs, now)
	}
	l.pauseIfQueued(cs, now)
	return gnet.None
}

// OnTick runs on gnet's ticker goroutine: it advances the coarse clock, refreshes the Date
// field each second and queues a sweep on every loop that is due a timeout sweep or has
// paused connections to look at. It never touches a loop's connections itself.
func (s *Server) OnTick() (time.Duration, gnet.Action) {
	wall := time.Now()
	now := clock.Advance(wall)
	if sec := wall.Unix(); sec != s.lastDate {
		s.lastDate = sec
		pipeline.RefreshDate(wall)
	}
	s.mu.Lock()
	quiescing := s.quiescing.Load()
	for _, l := range s.loops {
		if quiescing {
			l.queueQuiesce()
		}
		due := now-l.lastSweep >= int64(l.timeouts.sweepEvery())
		if !due && l.nPaused.Load() == 0 || l.sweepQueued.Load() {
			continue
		}
		if due {
			// (Only a full sweep restarts the clock: paused connections, checked every
			// tick, must not starve the timeouts of the others.)
			l.sweepFull.Store(true)
			l.lastSweep = now
		}
		l.sweepQueued.Store(true)
		if err := l.el.Execute(context.Background(), sweeper{l}); err != nil {
			l.sweepQueued.Store(false) // the engine is stopping
		}
	}
	s.mu.Unlock()
	return tickInterval, gnet.None
}

// tickInterval is how often gnet calls OnTick: the coarse clock's resolution.
const tickInterval = 100 * time.Millisecond
