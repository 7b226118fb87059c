package pipeline

import (
	"bytes"
	"cmp"
	"net/http"

	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/httpparse"
	"github.com/onemrc/onemrc/internal/clock"
	"github.com/onemrc/onemrc/route"
	"github.com/onemrc/onemrc/store"
)

// Config is what every pipeline of a server shares. The zero value serves the 1MRC API
// with the parser's default limits.
type Config struct {
	Limits httpparse.Limits
	// Routes is the table every pipeline looks requests up in; nil means route.Default().
	// A table is immutable, so the pipelines share its entries read-only.
	Routes *route.Table
	// MaxPendingOutput bounds the answers one batch may produce for a connection: a
	// client whose pipelined requests ask for more before it reads (one read, at most
	// loop.ReadSize bytes of requests, is answered at a time) gets the answers that fit
	// and is closed. 0 means DefaultMaxPendingOutput.
	MaxPendingOutput int
	// Cluster, when set, answers GET /stats with cluster-wide figures; /stats?scope=local
	// still answers this daemon's own.
	Cluster ClusterStats
	// Readiness, when set, is what GET /ready answers (503 while starting or draining);
	// nil is always ready.
	Readiness *Readiness
	// MaxBatchBytes bounds the body of a POST /events, as sent and, gzipped, once
	// inflated (413 beyond); MaxBatchEvents its elements (413 beyond). 0 means
	// DefaultMaxBatchBytes and DefaultMaxBatchEvents. A batch body is bounded by
	// MaxBatchBytes instead of Limits.MaxBody (httpparse's large-body path).
	MaxBatchBytes, MaxBatchEvents int
}

// ClusterStats writes the cluster-wide /stats body given this daemon's own snapshot. It
// runs on a loop goroutine and must not block (no I/O: it reads a cached view).
type ClusterStats interface {
	AppendStats(dst []byte, local *store.Snapshot) []byte
	// HealthBody is the body of /health when the node is degraded (it serves, but its
	// events no longer reach the cluster), nil when it is healthy.
	HealthBody() []byte
}

// DefaultMaxPendingOutput is above what any read of valid requests can ask for (the
// largest answer per request byte is about 6x: GET /stats, 33 bytes of request, about 190
// of answer; a read of loop.ReadSize bytes asks for about 48 KiB at the most), so that
// only a client that sends more than it reads meets it, and small enough that max-conns
// of them stay affordable.
const DefaultMaxPendingOutput = 64 << 10

// PendingOutputLimit is MaxPendingOutput with its default applied.
func (c Config) PendingOutputLimit() int {
	if c.MaxPendingOutput > 0 {
		return c.MaxPendingOutput
	}
	return DefaultMaxPendingOutput
}

// Pipeline is one event loop's request path: parse, route, decode, record, respond.
// Everything in it belongs to its loop's goroutine; only its store shard and its
// published counters are read by other goroutines.
type Pipeline struct {
	cfg    Config
	routes route.Table
	store  *store.Store
	shard  *store.Shard
	req    httpparse.Request
	dec    event.Decoder
	ev     event.Event
	tmpl   templates
	out    []byte
	stats  []byte

	maxOutput int    // cfg.PendingOutputLimit()
	answered  uint64 // requests the last Process answered

	batch                         batchState
	spares                        spares // large request buffers between requests
	maxBatchBytes, maxBatchEvents int    // the Config's, defaults applied
	recorded                      uint64 // events the last Process recorded
	batches                       uint64 // batches (POST /events) the last Process recorded

	metrics loopMetrics
	labels  *endpointLabels // from routes
}

// New makes the pipeline of one event loop, with its own shard of st.
func New(st *store.Store, cfg Config) *Pipeline {
	p := &Pipeline{cfg: cfg, store: st, shard: st.NewShard(), maxOutput: cfg.PendingOutputLimit()}
	if cfg.Routes != nil {
		p.routes = *cfg.Routes
	} else {
		p.routes = route.Default()
	}
	p.labels = newEndpointLabels(&p.routes)
	p.maxBatchBytes = cmp.Or(max(cfg.MaxBatchBytes, 0), DefaultMaxBatchBytes)
	p.maxBatchEvents = cmp.Or(max(cfg.MaxBatchEvents, 0), DefaultMaxBatchEvents)
	if path, ok := p.routes.PathOf(route.Events); ok {
		p.cfg.Limits.LargeBodyPath, p.cfg.Limits.MaxLargeBody = path, p.maxBatchBytes
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
	start := clock.Fine()
	// The first request may have begun in an earlier read; the rest began in this one.
	firstStart := start
	if c.requestStart != 0 {
		firstStart = c.requestStart
	}
	answered := uint64(0)
	p.recorded, p.batches = 0, 0
	outBefore := len(p.out)
	defer func() {
		p.answered = answered
		end := clock.Fine()
		p.metrics.observeBatch(end-firstStart, end-start)
		c.requestStart = 0
		if consumed < len(in) && !closeConn {
			c.requestStart = start
			if answered == 0 {
				c.requestStart = firstStart
			}
		}
		p.metrics.add(offBytesOut, uint64(len(p.out)-outBefore))
		p.shard.Publish()
		if now := clock.Coarse.Load(); now != p.metrics.publishedAt {
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
				panic("BUG: pipeline: parser returned an untyped error: " + err.Error())
			}
			// A framing error leaves no way to find the next request: answer and close
			// (RFC 9112 §2.2, §6.3).
			p.out = appendError(p.out, perr.Status, closeAfter, perr.Reason, "", false)
			p.metrics.add(offFrameErrors+perr.Code(), 1)
			p.metrics.answer(p.otherPair(), statusIndex(perr.Status))
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

// serve answers the request just parsed into p.req and counts it.
func (p *Pipeline) serve(mode connMode) {
	req := &p.req
	head := req.Method == httpparse.MethodHead
	h, allow := p.routes.Lookup(req.Method, req.Path)
	status := http.StatusOK
	switch h {
	case route.Event:
		if err := p.dec.Decode(req.Body, &p.ev); err != nil {
			berr, ok := err.(*event.Error)
			if !ok {
				panic("BUG: pipeline: decoder returned an untyped error: " + err.Error())
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
	case route.Events:
		status = p.serveBatch(mode)
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
	case route.Ready:
		var body []byte
		status, body = readyAnswer(p.cfg.Readiness)
		p.out = appendHead(p.out, status, mode, jsonType, len(body), "")
		if !head {
			p.out = append(p.out, body...)
		}
	case route.MethodNotAllowed:
		status = http.StatusMethodNotAllowed
		p.out = appendError(p.out, status, mode, "method not allowed", allow, head)
	default:
		status = http.StatusNotFound
		p.out = appendError(p.out, status, mode, "not found", "", head)
	}
	p.metrics.answer(pairOf(methodIndex(req.Method), p.labels.endpoint(h, req.Path)), statusIndex(status))
}

// otherPair labels answers given before a request was parsed (framing errors, timeouts).
func (p *Pipeline) otherPair() int { return pairOf(otherMethod, p.labels.other) }

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

// EnableLog makes the pipeline's shard keep, from now on, what AppendLogRecord writes:
// for a daemon whose answers wait for a write-ahead log.
func (p *Pipeline) EnableLog() { p.shard.EnableLog() }

// AppendLogRecord appends the record of the events recorded since the last one (see
// store.Shard.AppendLogRecord) and reports whether there was any.
func (p *Pipeline) AppendLogRecord(dst []byte) ([]byte, bool) { return p.shard.AppendLogRecord(dst) }
