package pipeline

import "github.com/onemrc/onemrc/httpparse"

// Conn is what a pipeline keeps of one connection between reads: the request in
// progress. The zero value is a fresh connection. It belongs to the connection's loop.
type Conn struct {
	// need is the number of buffered bytes below which parsing again cannot progress.
	need int
	// parse is where the parser stopped in the partial request at the start of the
	// buffer: the next Process resumes there, and Serve asks it whether new bytes can let
	// parsing progress at all.
	parse httpparse.State
	// continued records that 100 Continue was sent for the request in progress.
	continued bool
	// requestStart is the fine-clock time of the read that brought the first byte of the
	// request in progress (0: none), for http_request_duration_seconds.
	requestStart int64
	// flightPair is the metrics' (method, endpoint) pair AddInFlight counted the request
	// in progress under.
	flightPair uint8
	// partial holds the start of a request whose rest has not arrived: the bytes a read
	// hands Serve are not the pipeline's to keep (gnet reuses its read buffer).
	partial []byte
}

// Need reports how many bytes must be buffered for c before Process can progress.
func (c *Conn) Need() int { return c.need }

// Pending is the start of a request kept from earlier reads, valid until the next Serve.
func (c *Conn) Pending() []byte { return c.partial }

// Blocked reports whether the pending bytes cannot let parsing progress until more
// arrive (httpparse.State.Blocked): a line whose end has not come, a body short of Need.
func (c *Conn) Blocked() bool { return c.parse.Blocked(c.partial, 0) }

// Forget drops the pending request: the connection is closing and nothing more of it is
// served.
func (c *Conn) Forget() { c.partial = nil }

// Batch is what Serve did with one read.
type Batch struct {
	// Parsed is false when the read could not let parsing progress (a body short of
	// Need, a line whose end has not arrived): its bytes were kept, nothing else happened.
	Parsed bool
	// Answered and Recorded count the requests answered and the events recorded (whose
	// answers acknowledge them).
	Answered, Recorded uint64
	// Batches counts the POST /events batches recorded (their events are in Recorded).
	Batches uint64
	// Partial says the start of a request remains, kept on the Conn; HeaderDone that its
	// header section is complete.
	Partial, HeaderDone bool
	// Close asks for the connection to be closed once Output is written.
	Close bool
}

// Serve hands the pipeline one read for c: in joins the request c kept from earlier
// reads, every complete request is answered into Output (Process), and the start of the
// next one is kept on c. in need not outlive the call: what is kept is copied, and a
// request that arrives in pieces costs a copy of each new piece only. A read that cannot
// let parsing progress is only kept (the parser scans just its new bytes for a line end).
func (p *Pipeline) Serve(c *Conn, in []byte) Batch {
	data, seen := in, 0
	if len(c.partial) > 0 {
		seen = len(c.partial)
		c.partial = append(p.growPartial(c.partial, len(c.partial)+len(in), c.need), in...)
		data = c.partial
	}
	if len(data) < c.need || c.parse.Blocked(data, seen) {
		p.keepPartial(c, data, 0)
		return Batch{Partial: true}
	}
	consumed, closeConn := p.Process(c, data)
	b := Batch{Parsed: true, Answered: p.answered, Recorded: p.recorded, Batches: p.batches,
		Partial: consumed < len(data), HeaderDone: p.req.HeaderDone, Close: closeConn}
	if closeConn {
		p.spares.put(c.partial)
		c.Forget()
	} else {
		p.keepPartial(c, data, consumed)
	}
	return b
}

// keepPartial keeps data[consumed:], the start of a request, on c for the next read. data
// is either the read (not ours to keep) or c.partial.
func (p *Pipeline) keepPartial(c *Conn, data []byte, consumed int) {
	rest := data[consumed:]
	switch {
	case len(rest) == 0:
		if cap(c.partial) > maxKeptPartial {
			// A large request does not pin its buffer on an idle connection; the loop
			// keeps it for the next one.
			p.spares.put(c.partial)
			c.partial = nil
		} else {
			c.partial = c.partial[:0]
		}
	case len(c.partial) > 0 && &rest[0] == &c.partial[consumed]:
		if consumed > 0 {
			c.partial = c.partial[:copy(c.partial, rest)]
		}
	default:
		c.partial = append(p.growPartial(c.partial[:0], len(rest), c.need), rest...)
	}
}

// growPartial returns buf, or a larger buffer holding the same bytes, with room for n
// bytes. A request whose parser said how long it will be (need: a Content-Length body)
// gets room ahead of its bytes, up to 8x what has arrived and never more than it needs,
// so that a batch arriving in 8 KiB reads is copied once into a buffer of its size, not
// once per doubling, while a client that announces a large body and sends little makes
// the loop hold at most 8x what it sent. The buffer
// comes from the loop's spares when one fits.
func (p *Pipeline) growPartial(buf []byte, n, need int) []byte {
	if n <= cap(buf) {
		return buf
	}
	want := max(n, 2*cap(buf))
	if need >= n {
		// The request's length is known: room for all of it when that is within the
		// bound, and never more than it.
		want = min(need, max(want, growAheadFactor*n))
	}
	grown := p.spares.take(want)
	if grown == nil {
		grown = make([]byte, 0, want)
	}
	grown = append(grown[:0], buf...)
	p.spares.put(buf)
	return grown
}

// growAheadFactor bounds the room a request that announced its length gets ahead of
// its bytes, as a multiple of the bytes that arrived.
const growAheadFactor = 8

// maxKeptPartial is the largest partial-request buffer an idle connection keeps.
const maxKeptPartial = 4 << 10

// spares are a loop's large request buffers, kept between requests so that a stream of
// batches (tens of KiB each) does not allocate a buffer per batch: at most maxSpares of
// them, maxSpareBytes in all. Batches from many connections complete and start in bursts,
// so the pool is sized for a burst; what a whole sweep interval did not use is dropped
// (TrimSpares), so that an idle loop holds none.
type spares struct {
	bufs  [maxSpares][]byte
	bytes int
	taken bool // a spare was taken since the last trim
}

const (
	maxSpares     = 256
	maxSpareBytes = 8 << 20
)

// TrimSpares drops the kept request buffers unless one was used since the last call.
// The loop calls it on its timeout sweep.
func (p *Pipeline) TrimSpares() {
	s := &p.spares
	if !s.taken {
		clear(s.bufs[:])
		s.bytes = 0
	}
	s.taken = false
}

// take returns the smallest spare with room for n bytes, emptied, or nil.
func (s *spares) take(n int) []byte {
	best := -1
	for i, b := range s.bufs {
		if cap(b) >= n && (best < 0 || cap(b) < cap(s.bufs[best])) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	b := s.bufs[best]
	s.bufs[best] = nil
	s.bytes -= cap(b)
	s.taken = true
	return b[:0]
}

// put keeps b, larger than an idle connection keeps, when there is room for it.
func (s *spares) put(b []byte) {
	if cap(b) <= maxKeptPartial || s.bytes+cap(b) > maxSpareBytes {
		return
	}
	for i := range s.bufs {
		if s.bufs[i] == nil {
			s.bufs[i] = b[:0]
			s.bytes += cap(b)
			return
		}
	}
}
