package loadgen

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/hist"
)

// run is the state shared by all connections of one load run.
type run struct {
	cfg  Config
	enc  *Encoder
	n    uint64
	next atomic.Uint64 // next event index to claim; may overshoot n
	// perRequest is the events one request carries (Config.Batch, at least 1).
	perRequest uint64
	lim        *limiter
	base       time.Time // monotonic origin of every timestamp
	sessions   []*session
	hists      []*hist.Histogram // one per event loop; see bindHist
	histMu     sync.Mutex
	loopHist   map[any]*hist.Histogram

	connectTime time.Duration // connecting every socket, before the clock
	elapsed     time.Duration // the clock: first request to last close
}

func newRun(cfg Config) *run {
	r := &run{
		cfg:  cfg,
		enc:  NewEncoder(cfg.Host, cfg.Users, cfg.Half),
		n:    uint64(cfg.Requests),
		base: time.Now(),
	}
	r.lim = newLimiter(cfg.RPS, r.now())
	r.perRequest = uint64(max(cfg.Batch, 1))
	// A connection beyond the last request would only open and close again.
	requests := (uint64(cfg.Requests) + r.perRequest - 1) / r.perRequest
	conns := min(cfg.Conns, int(max(requests, 1)))
	r.sessions = make([]*session, conns)
	for i := range r.sessions {
		r.sessions[i] = &session{
			r:      r,
			sentAt: make([]int64, cfg.Pipeline),
			events: make([]uint32, cfg.Pipeline),
			wbuf:   make([]byte, 0, 256*cfg.Pipeline*int(r.perRequest)),
		}
	}
	return r
}

// now is the time since the run began, in nanoseconds (monotonic clock).
func (r *run) now() int64 { return int64(time.Since(r.base)) }

// claim hands out the next unsent request: its first event index and its count of
// events (perRequest, or fewer for the last), or false once all n are out.
func (r *run) claim() (first, count uint64, ok bool) {
	if r.next.Load() >= r.n { // keep the counter from growing without bound
		return 0, 0, false
	}
	first = r.next.Add(r.perRequest) - r.perRequest
	if first >= r.n {
		return 0, 0, false
	}
	return first, min(r.perRequest, r.n-first), true
}

// exhausted reports whether every event has been claimed.
func (r *run) exhausted() bool { return r.next.Load() >= r.n }

// total sums one counter over all connections (cold path).
func (r *run) total(get func(*counters) uint64) uint64 {
	var sum uint64
	for _, s := range r.sessions {
		sum += get(&s.counters)
	}
	return sum
}

// bindHist gives s the latency histogram of the event loop that serves
// it. A histogram is 30 KB: one per loop stays in cache, where one per
// connection made every Record a cache miss (measured at ~5% of the
// client's CPU with 1,000 connections). loop is any comparable identity of
// the loop; only the goroutine of that loop records into its histogram.
func (r *run) bindHist(s *session, loop any) {
	r.histMu.Lock()
	defer r.histMu.Unlock()
	h, ok := r.loopHist[loop]
	if !ok {
		h = hist.New(LatencyHighest)
		if r.loopHist == nil {
			r.loopHist = map[any]*hist.Histogram{}
		}
		r.loopHist[loop] = h
		r.hists = append(r.hists, h)
	}
	s.hist = h
}

// result merges the per-connection counters and the per-loop histograms
// once the run is over.
func (r *run) result() Result {
	res := Result{
		Elapsed: r.elapsed, ConnectTime: r.connectTime, Conns: len(r.sessions),
		Latency: hist.New(LatencyHighest),
	}
	for _, s := range r.sessions {
		res.Sent += s.sent.Load()
		res.OK += s.ok.Load()
		res.Non200 += s.non200.Load()
		res.ConnErrors += s.connErrors.Load()
		res.Lost += s.lost.Load()
		res.Requests += s.requests.Load()
	}
	for _, h := range r.hists {
		res.Latency.Merge(h)
	}
	if claimed := min(r.next.Load(), r.n); claimed < r.n {
		res.Unsent = r.n - claimed
	}
	return res
}

// counters are one connection's tallies. They are written only by the
// goroutine serving the connection and read by Progress; the padding keeps
// two connections' counters off one cache line.
type counters struct {
	sent, ok, non200, connErrors, lost, requests atomic.Uint64
	_                                            [64 - 6*8%64]byte
}

// session is one keep-alive connection's request pipeline, independent of
// the I/O engine that drives it. All methods run on one goroutine at a time.
type session struct {
	counters
	r        *run
	wbuf     []byte   // requests encoded but not yet written
	sentAt   []int64  // ring of write times of the requests in flight, FIFO
	events   []uint32 // ring of their event counts, alongside sentAt
	eventsIn uint64   // the events of the requests in flight
	head     int      // ring index of the oldest request in flight
	inflight int
	closing  bool            // the daemon announced Connection: close
	finished bool            // ended normally: nothing left to send or receive
	hist     *hist.Histogram // shared with the other sessions of its loop
}

// fill claims and encodes requests into wbuf until the pipeline is full or
// the events run out. When the rate limit stops it, it returns how long to
// wait before a token is free; otherwise 0. now is the write time recorded
// for latency.
func (s *session) fill(now int64) (wait time.Duration) {
	added := 0
	for s.inflight < len(s.sentAt) && !s.closing && !s.r.exhausted() {
		if wait = s.r.lim.take(now); wait > 0 {
			break
		}
		first, count, ok := s.r.claim()
		if !ok {
			break
		}
		if s.r.cfg.Batch > 0 {
			s.wbuf = s.r.enc.AppendBatch(s.wbuf, first, count)
		} else {
			s.wbuf = s.r.enc.Append(s.wbuf, first)
		}
		tail := s.head + s.inflight
		if tail >= len(s.sentAt) {
			tail -= len(s.sentAt)
		}
		s.sentAt[tail] = now
		s.events[tail] = uint32(count)
		s.eventsIn += count
		s.inflight++
		added += int(count)
	}
	s.sent.Add(uint64(added))
	return wait
}

// consume parses every complete response at the start of buf, records its
// latency against the oldest request in flight (responses come back in
// request order, RFC 9112 §9.3.2) and returns the bytes consumed. A partial
// trailing response is left for the next call.
func (s *session) consume(buf []byte, now int64) (used int, err error) {
	var ok, non200, requests uint64
	for used < len(buf) && !s.closing {
		resp, n, perr := ParseResponse(buf[used:])
		if errors.Is(perr, ErrNeedMore) {
			break
		}
		if perr != nil {
			err = perr
			break
		}
		if s.inflight == 0 {
			err = ErrUnsolicitedResponse
			break
		}
		s.hist.Record(now - s.sentAt[s.head])
		count := uint64(s.events[s.head])
		s.head++
		if s.head == len(s.sentAt) {
			s.head = 0
		}
		s.inflight--
		s.eventsIn -= count
		requests++
		if resp.Status == 200 && (s.r.cfg.Batch == 0 || acceptedAll(resp.Body, count)) {
			ok += count
		} else {
			non200 += count
		}
		used += n
		s.closing = resp.Close
	}
	// One atomic add per read, not per response: Progress reads these.
	s.ok.Add(ok)
	s.non200.Add(non200)
	s.requests.Add(requests)
	return used, err
}

// acceptedAll reports whether body is exactly {"accepted":count}: the daemon counted
// the whole batch.
func acceptedAll(body []byte, count uint64) bool {
	const prefix = `{"accepted":`
	if len(body) < len(prefix)+2 || string(body[:len(prefix)]) != prefix || body[len(body)-1] != '}' {
		return false
	}
	n, ok := parseLength(body[len(prefix) : len(body)-1])
	return ok && uint64(n) == count
}

// idle reports whether the session has nothing in flight and nothing more
// to send (it may still be waiting for a rate-limit token otherwise).
func (s *session) idle() bool {
	return s.inflight == 0 && (s.closing || s.r.exhausted())
}

// finish marks a normal end.
func (s *session) finish() { s.finished = true }

// fail records the end of a connection that did not finish normally: its
// requests in flight are lost. A close after an announced Connection: close
// with everything answered is not a failure.
func (s *session) fail() {
	if s.finished {
		return
	}
	s.finished = true
	if s.closing && s.inflight == 0 {
		return
	}
	s.connErrors.Add(1)
	s.lost.Add(s.eventsIn)
	s.inflight, s.eventsIn = 0, 0
}
