package pipeline

import (
	"math/bits"
	"strings"
	"sync/atomic"

	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/httpparse"
	"github.com/onemrc/onemrc/route"
)

// A pipeline counts what /metrics reports in plain loop-local counters and publishes the
// ones a batch touched with one atomic store each, at the same point it publishes its
// store shard. No request touches memory another loop writes; the scraper sums the
// published copies of every loop. The loop's own events (bytes read, timeouts, closes)
// are counted here too (the Count methods), so that one array and one publish serve both.

// metricStatuses are the status label values of http_requests_total (and "other").
var metricStatuses = [...]int{200, 400, 404, 405, 408, 413, 414, 415, 417, 431, 501, 503, 505}

// DurationBuckets are the upper bounds, in seconds, of http_request_duration_seconds.
var DurationBuckets = [...]float64{
	0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// Counter layout: one flat array, so publishing is a loop over set dirty bits. The
// request counters and the histogram have one block per (method, endpoint) pair.
const (
	numStatuses = len(metricStatuses) + 1  // the last is "other"
	numBuckets  = len(DurationBuckets) + 1 // the last is +Inf

	offRequests    = 0
	offBodyErrors  = offRequests + numPairs*numStatuses
	offFrameErrors = offBodyErrors + event.NumErrorCodes
	offBuckets     = offFrameErrors + httpparse.NumErrorCodes
	offDurationSum = offBuckets + numPairs*numBuckets // nanoseconds, one per pair
	offBytesIn     = offDurationSum + numPairs
	offBytesOut    = offBytesIn + 1
	offHeaderTO    = offBytesOut + 1
	offBodyTO      = offHeaderTO + 1
	offIdleClosed  = offBodyTO + 1
	offLingerTO    = offIdleClosed + 1 // lingering closes ended by lingerTime
	offSendTO      = offLingerTO + 1   // paused connections whose client read nothing for Idle
	offAnswered    = offSendTO + 1     // requests answered by this loop (any status)
	numCounters    = offAnswered + 1
)

type loopMetrics struct {
	publishedAt int64 // coarse time of the last publish
	local       [numCounters]uint64
	dirty       [(numCounters + 63) / 64]uint64
	inFlight    [numPairs]int64 // requests with bytes buffered but not answered

	// The batch Process is answering: how many requests of each pair (the set bits of
	// batchPairs say which entries are not zero) and the first request's pair, whose
	// time may have started at an earlier read. Observed once, when the batch ends.
	batch      [numPairs]uint32
	batchPairs uint64
	firstPair  int

	pub         [numCounters]atomic.Uint64
	pubInFlight [numPairs]atomic.Int64
}

func (m *loopMetrics) add(i int, n uint64) {
	m.local[i] += n
	m.dirty[i/64] |= 1 << (i % 64)
}

// publish copies the counters touched since the last publish. Loop goroutine only.
// Each copy is an atomic store, a locked instruction on amd64, so the pipeline publishes
// at most once per tick of the coarse clock (and its sweep once more): a scrape may lag
// the loop by up to a second, which no scrape interval notices. /stats never lags: the
// store shard publishes every batch.
func (m *loopMetrics) publish() {
	for w, word := range m.dirty {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			i := w*64 + b
			m.pub[i].Store(m.local[i])
		}
		m.dirty[w] = 0
	}
}

func statusIndex(status int) int {
	for i, s := range metricStatuses {
		if s == status {
			return i
		}
	}
	return len(metricStatuses)
}

// request counts an answer in http_requests_total.
func (m *loopMetrics) request(pair, status int) {
	m.add(offRequests+pair*numStatuses+status, 1)
	m.add(offAnswered, 1)
}

// answer counts an answer of the batch under way: request, and its time once the batch
// ends (observeBatch).
func (m *loopMetrics) answer(pair, status int) {
	m.request(pair, status)
	if m.batchPairs == 0 {
		m.firstPair = pair
	}
	m.batch[pair]++
	m.batchPairs |= 1 << pair
}

// observeBatch observes the time of every request the batch answered: first for the
// batch's first request, rest for the others.
func (m *loopMetrics) observeBatch(first, rest int64) {
	for set := m.batchPairs; set != 0; set &= set - 1 {
		pair := bits.TrailingZeros64(set)
		n := uint64(m.batch[pair])
		m.batch[pair] = 0
		if pair == m.firstPair {
			m.observe(pair, first, 1)
			n--
		}
		if n > 0 {
			m.observe(pair, rest, n)
		}
	}
	m.batchPairs = 0
}

// bucketNanos are DurationBuckets in nanoseconds, for integer compares.
var bucketNanos = func() (b [len(DurationBuckets)]int64) {
	for i, s := range DurationBuckets {
		b[i] = int64(s*1e9 + 0.5)
	}
	return b
}()

// observe adds n requests of pair that each took d nanoseconds.
func (m *loopMetrics) observe(pair int, d int64, n uint64) {
	if d < 0 {
		d = 0
	}
	b := 0
	for b < len(bucketNanos) && d > bucketNanos[b] {
		b++
	}
	m.add(offBuckets+pair*numBuckets+b, n)
	m.add(offDurationSum+pair, uint64(d)*n)
}

// label turns an error reason into a Prometheus label value: "malformed JSON" ->
// "malformed_json".
func label(reason string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(reason) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if s := b.String(); s != "" && s[len(s)-1] != '_' {
				b.WriteByte('_')
			}
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// RequestCount is one series of http_requests_total.
type RequestCount struct {
	Method, Endpoint string
	Status           int // 0 for a status outside the known list
	Count            uint64
}

// EndpointMetrics is the series of one method and endpoint: http_request_duration_seconds
// and http_requests_in_flight.
type EndpointMetrics struct {
	Method, Endpoint string
	// DurationCounts[i] counts requests that took at most DurationBuckets[i] seconds and
	// more than the bucket before; the last entry is beyond every bucket.
	DurationCounts [numBuckets]uint64
	DurationSum    float64 // seconds
	InFlight       int64
}

// LabelCount is one series of a counter with a single label.
type LabelCount struct {
	Label string
	Count uint64
}

// Metrics is every loop's published counters, summed. Counters only grow.
type Metrics struct {
	Requests      []RequestCount
	BodyErrors    []LabelCount // events_failed_total{reason}
	FramingErrors []LabelCount // parse errors by kind
	// Endpoints has every pair the route table serves (at zero before any request), and
	// any other pair that answered a request or has one in flight.
	Endpoints      []EndpointMetrics
	BytesIn        uint64
	BytesOut       uint64
	HeaderTimeouts uint64
	BodyTimeouts   uint64
	LingerTimeouts uint64 // lingering closes that ran out their time
	SendTimeouts   uint64 // connections closed with answers queued and unread for Idle
	IdleClosed     uint64
	LoopRequests   []uint64 // requests answered by each loop, in the order of the pipelines
}

// InFlight is http_requests_in_flight summed over every method and endpoint.
func (m *Metrics) InFlight() int64 {
	var n int64
	for _, e := range m.Endpoints {
		n += e.InFlight
	}
	return n
}

// SumMetrics merges the counters every pipeline has published (cold path, any goroutine).
// The pipelines are a server's, built from one Config: they share the endpoint labels.
func SumMetrics(pipes []*Pipeline) Metrics {
	var sum [numCounters]uint64
	var inFlight [numPairs]int64
	var m Metrics
	for _, p := range pipes {
		for i := range sum {
			sum[i] += p.metrics.pub[i].Load()
		}
		for i := range inFlight {
			inFlight[i] += p.metrics.pubInFlight[i].Load()
		}
		m.LoopRequests = append(m.LoopRequests, p.metrics.pub[offAnswered].Load())
	}
	labels := defaultLabels
	if len(pipes) > 0 {
		labels = pipes[0].labels
	}
	for mi, method := range metricMethods {
		for ei, endpoint := range labels.names {
			pair := pairOf(mi, ei)
			var answered uint64
			for si := range numStatuses {
				n := sum[offRequests+pair*numStatuses+si]
				if n == 0 {
					continue
				}
				answered += n
				status := 0
				if si < len(metricStatuses) {
					status = metricStatuses[si]
				}
				m.Requests = append(m.Requests, RequestCount{Method: method, Endpoint: endpoint, Status: status, Count: n})
			}
			e := EndpointMetrics{Method: method, Endpoint: endpoint, InFlight: inFlight[pair],
				DurationSum: float64(sum[offDurationSum+pair]) / 1e9}
			copy(e.DurationCounts[:], sum[offBuckets+pair*numBuckets:])
			observed := uint64(0)
			for _, n := range e.DurationCounts {
				observed += n
			}
			if labels.served&(1<<pair) != 0 || observed > 0 || e.InFlight != 0 {
				m.Endpoints = append(m.Endpoints, e)
			}
		}
	}
	for i, e := range event.Errors {
		m.BodyErrors = append(m.BodyErrors, LabelCount{label(e.Reason), sum[offBodyErrors+i]})
	}
	m.BodyErrors = append(m.BodyErrors, LabelCount{"other", sum[offBodyErrors+len(event.Errors)]})
	for i, e := range httpparse.Errors {
		m.FramingErrors = append(m.FramingErrors, LabelCount{label(e.Reason), sum[offFrameErrors+i]})
	}
	m.FramingErrors = append(m.FramingErrors, LabelCount{"other", sum[offFrameErrors+len(httpparse.Errors)]})
	m.BytesIn, m.BytesOut = sum[offBytesIn], sum[offBytesOut]
	m.HeaderTimeouts, m.BodyTimeouts, m.IdleClosed = sum[offHeaderTO], sum[offBodyTO], sum[offIdleClosed]
	m.LingerTimeouts, m.SendTimeouts = sum[offLingerTO], sum[offSendTO]
	return m
}

// defaultLabels label the metrics of a server with no pipeline yet.
var defaultLabels = func() *endpointLabels {
	t := route.Default()
	return newEndpointLabels(&t)
}()

// CountBytesIn counts n bytes read from a connection.
func (p *Pipeline) CountBytesIn(n int) { p.metrics.add(offBytesIn, uint64(n)) }

// Closed is why the event loop closed a connection without answering.
type Closed uint8

const (
	ClosedIdle   Closed = iota // no request in progress for the idle timeout
	ClosedLinger               // a lingering close ran out its time
	ClosedSend                 // answers queued and not read for the idle timeout
)

// CountClosed counts a connection closed without an answer.
func (p *Pipeline) CountClosed(why Closed) {
	switch why {
	case ClosedIdle:
		p.metrics.add(offIdleClosed, 1)
	case ClosedLinger:
		p.metrics.add(offLingerTO, 1)
	case ClosedSend:
		p.metrics.add(offSendTO, 1)
	}
}

// AddInFlight moves the count of requests in progress (bytes buffered, no answer yet):
// +1 when c's request starts to span reads, right after the Serve of c that left it
// partial, -1 when it ends. The request is counted under what that Serve parsed of it:
// its method once the method token arrived and its route once the target did, "other"
// before; the -1 moves the count the +1 moved. The count changes only when a request spans reads, so it is
// published at once.
func (p *Pipeline) AddInFlight(c *Conn, delta int64) {
	m := &p.metrics
	if delta > 0 {
		h, _ := p.routes.Lookup(p.req.Method, p.req.Path)
		c.flightPair = uint8(pairOf(methodIndex(p.req.Method), p.labels.endpoint(h, p.req.Path)))
	}
	pair := c.flightPair
	m.inFlight[pair] += delta
	m.pubInFlight[pair].Store(m.inFlight[pair])
}

// PublishMetrics publishes the counters touched since the last publish, for work done
// outside Process (a sweep, answers released by the log).
func (p *Pipeline) PublishMetrics() { p.metrics.publish() }
