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

// Label values of http_requests_total.
var (
	metricMethods   = [...]string{"GET", "HEAD", "POST", "other"}
	metricEndpoints = [...]string{"/event", "/stats", "/health", "other"}
	metricStatuses  = [...]int{200, 400, 404, 405, 408, 413, 414, 417, 431, 501, 503, 505}
)

// DurationBuckets are the upper bounds, in seconds, of http_request_duration_seconds.
var DurationBuckets = [...]float64{
	0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// Counter layout: one flat array, so publishing is a loop over set dirty bits.
const (
	numRequestCounters = len(metricMethods) * len(metricEndpoints) * (len(metricStatuses) + 1)
	numBuckets         = len(DurationBuckets) + 1 // the last is +Inf

	offRequests    = 0
	offBodyErrors  = offRequests + numRequestCounters
	offFrameErrors = offBodyErrors + event.NumErrorCodes
	offBuckets     = offFrameErrors + httpparse.NumErrorCodes
	offDurationSum = offBuckets + numBuckets // nanoseconds
	offBytesIn     = offDurationSum + 1
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
	inFlight    int64 // requests with bytes buffered but not answered

	pub         [numCounters]atomic.Uint64
	pubInFlight atomic.Int64
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

// otherMethod and otherEndpoint are the "other" label values' indexes, used for answers
// given before a request was parsed (framing errors, timeouts).
const (
	otherMethod   = len(metricMethods) - 1
	otherEndpoint = len(metricEndpoints) - 1
)

func methodIndex(m httpparse.Method) int {
	switch m {
	case httpparse.MethodGet:
		return 0
	case httpparse.MethodHead:
		return 1
	case httpparse.MethodPost:
		return 2
	}
	return otherMethod
}

// endpointIndex labels a request by its route, or by its path when the method was wrong.
func endpointIndex(h route.Handler, path []byte) int {
	switch h {
	case route.Event:
		return 0
	case route.Stats:
		return 1
	case route.Health:
		return 2
	case route.MethodNotAllowed:
		for i, e := range metricEndpoints[:otherEndpoint] {
			if e == string(path) {
				return i
			}
		}
	}
	return otherEndpoint
}

func statusIndex(status int) int {
	for i, s := range metricStatuses {
		if s == status {
			return i
		}
	}
	return len(metricStatuses)
}

func (m *loopMetrics) request(method, endpoint, status int) {
	m.add(offRequests+(method*len(metricEndpoints)+endpoint)*(len(metricStatuses)+1)+status, 1)
	m.add(offAnswered, 1)
}

// bucketNanos are DurationBuckets in nanoseconds, for integer compares.
var bucketNanos = func() (b [len(DurationBuckets)]int64) {
	for i, s := range DurationBuckets {
		b[i] = int64(s*1e9 + 0.5)
	}
	return b
}()

// observe adds n requests that each took d nanoseconds.
func (m *loopMetrics) observe(d int64, n uint64) {
	if d < 0 {
		d = 0
	}
	b := 0
	for b < len(bucketNanos) && d > bucketNanos[b] {
		b++
	}
	m.add(offBuckets+b, n)
	m.add(offDurationSum, uint64(d)*n)
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
	// DurationCounts[i] counts requests that took at most DurationBuckets[i] seconds and
	// more than the bucket before; the last entry is beyond every bucket.
	DurationCounts [numBuckets]uint64
	DurationSum    float64 // seconds
	BytesIn        uint64
	BytesOut       uint64
	HeaderTimeouts uint64
	BodyTimeouts   uint64
	LingerTimeouts uint64 // lingering closes that ran out their time
	SendTimeouts   uint64 // connections closed with answers queued and unread for Idle
	IdleClosed     uint64
	LoopRequests   []uint64 // requests answered by each loop, in the order of the pipelines
	InFlight       int64
}

// SumMetrics merges the counters every pipeline has published (cold path, any goroutine).
func SumMetrics(pipes []*Pipeline) Metrics {
	var sum [numCounters]uint64
	var m Metrics
	for _, p := range pipes {
		for i := range sum {
			sum[i] += p.metrics.pub[i].Load()
		}
		m.InFlight += p.metrics.pubInFlight.Load()
		m.LoopRequests = append(m.LoopRequests, p.metrics.pub[offAnswered].Load())
	}
	for mi, method := range metricMethods {
		for ei, endpoint := range metricEndpoints {
			for si := 0; si <= len(metricStatuses); si++ {
				n := sum[offRequests+(mi*len(metricEndpoints)+ei)*(len(metricStatuses)+1)+si]
				if n == 0 {
					continue
				}
				status := 0
				if si < len(metricStatuses) {
					status = metricStatuses[si]
				}
				m.Requests = append(m.Requests, RequestCount{Method: method, Endpoint: endpoint, Status: status, Count: n})
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
	copy(m.DurationCounts[:], sum[offBuckets:offBuckets+numBuckets])
	m.DurationSum = float64(sum[offDurationSum]) / 1e9
	m.BytesIn, m.BytesOut = sum[offBytesIn], sum[offBytesOut]
	m.HeaderTimeouts, m.BodyTimeouts, m.IdleClosed = sum[offHeaderTO], sum[offBodyTO], sum[offIdleClosed]
	m.LingerTimeouts, m.SendTimeouts = sum[offLingerTO], sum[offSendTO]
	return m
}

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

// AddInFlight moves the count of requests in progress (bytes buffered, no answer yet). It
// changes only when a request spans reads, so it is published at once.
func (p *Pipeline) AddInFlight(delta int64) {
	m := &p.metrics
	m.inFlight += delta
	m.pubInFlight.Store(m.inFlight)
}

// PublishMetrics publishes the counters touched since the last publish, for work done
// outside Process (a sweep, answers released by the log).
func (p *Pipeline) PublishMetrics() { p.metrics.publish() }
