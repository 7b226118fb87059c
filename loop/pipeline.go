package loop

import (
	"bytes"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"net/http"

	"github.com/onemrc/onemrc/httpparse"
	"github.com/onemrc/onemrc/route"
	"github.com/onemrc/onemrc/store"
)

// Config is what every pipeline of a server shares. The zero value serves the 1MRC API
// with the parser's default limits.
type Config struct {
	Limits httpparse.Limits
	// Routes is copied into each pipeline; the zero Table means route.Default().
	Routes *route.Table
	// MaxPendingOutput bounds the answers one batch may produce for a connection: a
	// client whose pipelined requests ask for more before it reads (one read, at most
	// ReadSize bytes of requests, is answered at a time) gets the answers that fit and is
	// closed. 0 means DefaultMaxPendingOutput.
	MaxPendingOutput int
	// MaxConns caps open connections; one more is answered 503 and closed. 0: no cap.
	MaxConns int
	Timeouts Timeouts
	// Cluster, when set, answers GET /stats with cluster-wide figures; /stats?scope=local
	// still answers this daemon's own.
	Cluster ClusterStats
	// Log, when set, holds every answer that acknowledges an event until the event's
	// record is in the log (durable.go), synced as Fsync says. LogFailed is told, once,
	// when the log fails; from then on no event is acknowledged.
	Log       Log
	Fsync     FsyncMode
	LogFailed func(error)
}

// ClusterStats writes the cluster-wide /stats body given this daemon's own snapshot. It
// runs on a loop goroutine and must not block (no I/O: it reads a cached view).
type ClusterStats interface {
	AppendStats(dst []byte, local *store.Snapshot) []byte
	// HealthBody is the body of /health when the node is degraded (it serves, but its
	// events no longer reach the cluster), nil when it is healthy.
	HealthBody() []byte
}

// ReadSize is how many bytes gnet reads from a socket at a time (gnet.WithReadBufferCap):
// the most requests one batch answers. The largest answer per request byte is about 6x
// (GET /stats: 33 bytes of request, about 190 of answer), so no read of valid requests
// asks for more than about 48 KiB of answers.
const ReadSize = 8 << 10

// DefaultMaxPendingOutput is above what any ReadSize of valid requests can ask for, so
// that only a client that sends more than it reads meets it, and small enough that
// max-conns of them stay affordable.
const DefaultMaxPendingOutput = 64 << 10

func (c Config) maxPendingOutput() int {
	if c.MaxPendingOutput > 0 {
		return c.MaxPendingOutput
	}
	return DefaultMaxPendingOutput
}

// Conn is the per-connection state a pipeline needs between reads. The zero value is a
// fresh connection.
type Conn struct {
	// need is the number of buffered bytes below which parsing again cannot progress.
	need int
	// parse is where the parser stopped in the partial request at the start of the
	// buffer: the next Process resumes there, and OnTraffic asks it whether new bytes
	// can let parsing progress at all.
	parse httpparse.State
	// continued records that 100 Continue was sent for the request in progress.
	continued bool
	// closing is set once the server decided to close the connection.
	closing bool
	// lingering is set once the server answered its last response and shut down its
	// sending side; what the client still sends is read and dropped (linger.go).
	lingering bool
	lingered  int // bytes dropped while lingering

	// Coarse-clock stamps (see clock.go) for the timeouts: the last read, the first
	// byte of the request in progress (0: none in progress) and the end of its header
	// section (0: not reached).
	lastActive, requestSince, bodySince int64
	// requestStartFine is the monotonic time of the read that brought the first byte of
	// the request in progress (0: none), for http_request_duration_seconds.
	requestStartFine int64
	// partial holds the start of a request whose rest has not arrived (gnet itself keeps
	// nothing between reads; see OnTraffic).
	partial []byte

	// gone is set by OnClose: gnet has closed the connection (possibly inside a Write) and
	// its descriptor number may already serve another client. Nothing touches gc after.
	gone bool
	// paused is set while reading stops because answers are queued (output.go), since
	// pausedAt; queuedAtSweep is the queue the last sweep saw, to tell a client that reads
	// slowly from one that does not read at all.
	paused        bool
	listed        bool // in pipe.paused
	pausedAt      int64
	queuedAtSweep int
	// closeWhenDrained asks for the lingering close once the queued answers are written.
	closeWhenDrained bool
	// held are answers waiting for the log (durable.go), the last of them from heldTurn;
	// closeAfterHeld asks for the close once they leave.
	held           []byte
	heldTurn       uint64
	closeAfterHeld bool

	pipe *Pipeline
	gc   gnet.Conn
	idx  int // position in pipe.conns
}

// Pipeline is one event loop's request path: parse, route, decode, record, respond.
// Everything in it belongs to its loop's goroutine; only its store shard publishes to
// other goroutines, through Publish.
type Pipeline struct {
	cfg    Config
	routes route.Table
	store  *store.Store
	shard  *store.Shard
	req    httpparse.Request
	dec    store.Decoder
	ev     store.Event
	tmpl   templates
	out    []byte
	stats  []byte

	maxOutput int    // cfg.maxPendingOutput()
	answered  uint64 // requests the last Process answered
	recorded  uint64 // events the last Process recorded
	dur       *durability

	// The loop's connections, for the timeout sweep; only the loop goroutine touches them.
	timeouts Timeouts
	conns    []*Conn
	sweepOut []byte

	// Connections paused because answers are queued for them; nPaused is its length for
	// the ticker goroutine, which queues checkPaused while it is not zero.
	reads   readPauser
	paused  []*Conn
	nPaused atomic.Int32

	metrics loopMetrics
	id      int // creation order, the "loop" label of per-loop metrics

	el          gnet.EventLoop
	sweepQueued atomic.Bool // a sweep is queued on el and has not run yet
	sweepFull   atomic.Bool // the queued sweep checks every connection's timeouts
	lastSweep   int64       // coarse time of the last full sweep; ticker goroutine only
}

// readPauser stops gnet reading a connection until its output queue drains (output.go).
type readPauser interface {
	pause(c gnet.Conn) error
}

// NewPipeline makes the pipeline of one event loop, with its own shard of st.
func NewPipeline(st *store.Store, cfg Config) *Pipeline {
	p := &Pipeline{cfg: cfg, store: st, shard: st.NewShard(), timeouts: cfg.Timeouts.withDefaults(),
		maxOutput: cfg.maxPendingOutput()}
	if cfg.Routes != nil {
		p.routes = *cfg.Routes
	} else {
		p.routes = route.Default()
	}
	if cfg.Log != nil {
		p.shard.EnableLog()
		p.dur = &durability{log: cfg.Log, mode: cfg.Fsync, turn: 1} // turn 0: none (synced starts there)
	}
	return p
}

// Output returns the responses appended by Process since the last ResetOutput. The bytes
// belong to the pipeline: write them before the next Process.
func (p *Pipeline) Output() []byte { return p.out }

// ResetOutput empties the output, keeping its memory unless one huge batch inflated it.
func (p *Pipeline) ResetOutput() {
	if cap(p.out) > 1<<20 {
		p.out = nil
		return
	}
	p.out = p.out[:0]
}

// Process answers every complete request at the start of in, appending the responses to
// the output, and reports how many bytes of in they occupied and whether the connection
// must be closed once the output is written. A trailing partial request is left for the
// next call. Once this call's answers reach MaxPendingOutput it answers nothing more and
// asks for the close: a client that asks for that much at once without reading is not
// served on credit. Every event it counted is published before it returns, so once the caller
// writes the output, any /stats that starts afterwards includes them.
func (p *Pipeline) Process(c *Conn, in []byte) (consumed int, closeConn bool) {
	p.tmpl.refresh()
	start := monotonic()
	// The first request may have begun in an earlier read; the rest began in this one.
	firstStart := start
	if c.requestStartFine != 0 {
		firstStart = c.requestStartFine
	}
	answered := uint64(0)
	p.recorded = 0
	outBefore := len(p.out)
	defer func() {
		p.answered = answered
		end := monotonic()
		if answered > 0 {
			p.metrics.observe(end-firstStart, 1)
			if answered > 1 {
				p.metrics.observe(end-start, answered-1)
			}
		}
		c.requestStartFine = 0
		if consumed < len(in) && !closeConn {
			c.requestStartFine = start
			if answered == 0 {
				c.requestStartFine = firstStart
			}
		}
		p.metrics.add(offBytesOut, uint64(len(p.out)-outBefore))
		p.shard.Publish()
		if now := coarseNow.Load(); now != p.metrics.publishedAt {
			p.metrics.publishedAt = now
			p.metrics.publish()
		}
	}()
	for consumed < len(in) {
		n, err := httpparse.ParseFrom(in[consumed:], &p.req, p.cfg.Limits, &c.parse)
		if err != nil {
			if err == httpparse.ErrNeedMore {
				c.need = p.req.Need
				if p.req.HeaderDone && p.req.ExpectContinue && !c.continued {
					p.out = append(p.out, continueResponse...)
					c.continued = true
				}
				return consumed, false
			}
			perr, ok := err.(*httpparse.Error)
			if !ok {
				panic("BUG: loop: parser returned an untyped error: " + err.Error())
			}
			// A framing error leaves no way to find the next request: answer and close
			// (RFC 9112 §2.2, §6.3).
			p.out = appendError(p.out, perr.Status, closeAfter, perr.Reason, "", false)
			p.metrics.add(offFrameErrors+perr.Code(), 1)
			p.metrics.request(otherMethod, otherEndpoint, statusIndex(perr.Status))
			answered++
			return consumed, true
		}
		consumed += n
		c.need = 0
		c.continued = false
		mode := keepAlive11
		switch {
		case !p.req.KeepAlive:
			mode = closeAfter
		case p.req.Minor == 0:
			mode = keepAlive10
		}
		p.serve(mode)
		answered++
		if mode == closeAfter {
			// No request after one that closes the connection is processed (RFC 9112 §9.6).
			return consumed, true
		}
		if len(p.out)-outBefore >= p.maxOutput && consumed < len(in) {
			return consumed, true
		}
	}
	return consumed, false
}

// Need reports how many bytes must be buffered for c before Process can progress.
func (c *Conn) Need() int { return c.need }

// attach adds c to the connections the pipeline sweeps.
func (p *Pipeline) attach(c *Conn) {
	c.pipe = p
	c.idx = len(p.conns)
	p.conns = append(p.conns, c)
}

// detach removes c; the last connection takes its place.
func (p *Pipeline) detach(c *Conn) {
	last := p.conns[len(p.conns)-1]
	p.conns[c.idx] = last
	last.idx = c.idx
	p.conns[len(p.conns)-1] = nil
	p.conns = p.conns[:len(p.conns)-1]
	if c.requestSince != 0 {
		c.setInFlight(-1)
		c.requestSince = 0
	}
	c.pipe = nil
}

// serve answers the request just parsed into p.req and counts it.
func (p *Pipeline) serve(mode connMode) {
	req := &p.req
	head := req.Method == httpparse.MethodHead
	h, allow := p.routes.Lookup(req.Method, req.Path)
	status := http.StatusOK
	switch h {
	case route.Event:
		if err := p.dec.Decode(req.Body, &p.ev); err != nil {
			berr, ok := err.(*store.Error)
			if !ok {
				panic("BUG: loop: decoder returned an untyped error: " + err.Error())
			}
			status = http.StatusBadRequest
			p.out = appendError(p.out, status, mode, berr.Reason, "", false)
			p.metrics.add(offBodyErrors+berr.Code(), 1)
			break
		}
		p.shard.Record(&p.ev)
		p.recorded++
		if mode == keepAlive11 {
			p.out = append(p.out, p.tmpl.eventOK...)
		} else {
			p.out = appendHead(p.out, status, mode, "", 0, "")
		}
	case route.Stats:
		// Events this loop recorded earlier in the batch were requested before this
		// /stats: publish them so the snapshot includes them.
		p.shard.Publish()
		snap := p.store.Snapshot()
		if p.cfg.Cluster != nil && !localScope(req.Target) {
			local := snap // a copy, so that snap does not escape through the interface
			p.stats = p.cfg.Cluster.AppendStats(p.stats[:0], &local)
		} else {
			p.stats = store.AppendStats(p.stats[:0], &snap)
		}
		p.out = appendJSON(p.out, mode, p.stats, head)
	case route.Health:
		body := healthBody
		if p.cfg.Cluster != nil {
			if b := p.cfg.Cluster.HealthBody(); b != nil {
				body = b
			}
		}
		p.out = appendJSON(p.out, mode, body, head)
	case route.MethodNotAllowed:
		status = http.StatusMethodNotAllowed
		p.out = appendError(p.out, status, mode, "method not allowed", allow, head)
	default:
		status = http.StatusNotFound
		p.out = appendError(p.out, status, mode, "not found", "", head)
	}
	p.metrics.request(methodIndex(req.Method), endpointIndex(h, req.Path), statusIndex(status))
}

var healthBody = []byte(`{"status":"ok"}`)

// localScope reports whether the target's query has the parameter scope=local.
func localScope(target []byte) bool {
	q := bytes.IndexByte(target, '?')
	if q < 0 {
		return false
	}
	for query := target[q+1:]; ; {
		kv, rest, more := bytes.Cut(query, []byte("&"))
		if string(kv) == "scope=local" {
			return true
		}
		if !more {
			return false
		}
		query = rest
	}
}
