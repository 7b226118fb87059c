package httpparse

import "bytes"

// State is one connection's progress through the request at the start of its
// buffer, kept by the caller between calls of ParseFrom so that a request
// arriving a few bytes at a time costs work linear in its size:
//
//   - ParseFrom resumes at the first element (request line, field line,
//     chunk, trailer line) that was incomplete, instead of at byte 0;
//   - Blocked tells, from the bytes that arrived since, whether calling
//     ParseFrom again can progress at all; while a line is incomplete that
//     needs a line end ('\n') or a limit to be reached.
//
// The zero value is a fresh connection. ParseFrom resets it itself when a
// request completes or fails; Reset is for a caller that abandons a request.
// A State holds offsets, never views, so the caller may move its buffer
// between calls. It belongs to one connection: the Request it fills may be
// shared by every connection of an event loop.
type State struct {
	phase phase
	seen  int // len(buf) of the call that returned ErrNeedMore
	need  int // Request.Need of that call
	// lineEnd, when not 0, says that call waited for the end of a line: no
	// '\n' is in buf[lineStart:seen], and the line's limit is crossed once
	// len(buf) reaches lineEnd (the length at which a one-shot Parse of the
	// same bytes stops waiting and reports 414, 431, 413 or a bad chunk).
	lineEnd  int
	head     head     // what the complete elements set in the Request
	progress progress // where each kind of element resumes
}

// phase is the element the request at the start of the buffer is in. The
// phases run in this order; the body phases follow phaseFields.
type phase uint8

const (
	phaseRequestLine phase = iota // leading empty lines and the request line
	phaseFields                   // the field lines of the header section
	phaseBody                     // a Content-Length body
	phaseChunks                   // the chunks of a chunked body, through the last-chunk line
	phaseTrailers                 // the trailer section of a chunked body
)

// progress is what parse needs to resume the element of each phase.
type progress struct {
	sec    section       // header or trailer section
	fields fieldState    // header section: what its complete field lines set
	body   chunkProgress // body: its start; chunked: the complete chunks
}

// Reset forgets the request in progress: the next ParseFrom starts a new
// request at the start of its buffer.
func (s *State) Reset() { *s = State{} }

// ParseFrom is Parse for a caller that keeps a connection's partial request
// buffered and calls again as bytes arrive. Its results (n, err and every
// Request field, Need included) are those Parse gives for the same buf; it
// only does less work, resuming at the element st recorded.
//
// Contract: after ParseFrom returned ErrNeedMore, the next call for that
// connection passes a buf that starts with the same bytes (it may have moved
// in memory) and is at least as long, with the same Limits; a shorter buf
// panics. After a complete request (n > 0) or an *Error, st is reset and the
// next call parses a new request at the start of its buf (buf[n:] of the
// caller's stream). Between calls the caller may consult st.Blocked to skip
// calls that cannot progress.
func ParseFrom(buf []byte, req *Request, lim Limits, st *State) (n int, err error) {
	if len(buf) < st.seen {
		panic("BUG: httpparse: ParseFrom on a buffer shorter than the partial request it resumes")
	}
	lim.setDefaults()
	req.Reset()
	st.lineEnd = 0
	n, err = st.parse(buf, req, &lim)
	if err == ErrNeedMore {
		if req.Need <= len(buf) {
			req.Need = len(buf) + 1
		}
		st.seen, st.need = len(buf), req.Need
		return 0, err
	}
	st.Reset()
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Blocked reports whether calling ParseFrom on buf cannot progress yet, so
// the caller may skip it and wait for more bytes. buf must extend the buffer
// of the last ParseFrom call for st; buf[:scanned] must be bytes that call
// or an earlier Blocked call that returned true has seen (0 is always
// correct; passing the previous length makes the check O(new bytes)).
//
// It is true while buf is shorter than Request.Need, and, while a line is
// incomplete, until a '\n' arrives or the line's limit is reached. A line
// cannot complete without its '\n', and a line that outgrows its limit is
// rejected at exactly the length at which Parse would reject it. A byte that
// no line may hold (a control byte, a bare CR, a 17th chunk-size digit, a
// field line past MaxHeaders) is the one thing waiting delays: it is
// reported once the '\n' or the limit arrives, with the same error that
// Parse gives for the bytes buffered by then. After a complete request or an
// error (st reset) it is false.
func (s *State) Blocked(buf []byte, scanned int) bool {
	if len(buf) < s.need {
		return true
	}
	if s.lineEnd == 0 || len(buf) >= s.lineEnd {
		return false
	}
	from := min(max(s.seen, scanned), len(buf))
	return bytes.IndexByte(buf[from:], '\n') < 0
}

// parse is ParseFrom's driver: it runs the element parsers Parse runs, in
// the same order, but starts at the element s.phase names, with what the
// complete elements before it recorded (s.head, s.progress), and records its
// progress as it goes. Each element parser, given that record, reaches the
// outcome it reaches in a run from byte 0: every check of an element depends
// only on its own bytes, the limits, and the record (field lines and chunks
// seen, the section and body starts that the limits count from).
func (s *State) parse(buf []byte, req *Request, lim *Limits) (int, error) {
	p := &s.progress
	if s.phase == phaseRequestLine {
		// The request line is parsed again from byte 0 until it is complete:
		// it is short (MaxRequestLine), and Blocked lets a caller call again
		// only once a line end arrives.
		i, err := skipEmptyLines(buf)
		if err != nil {
			return 0, err // at most one byte short of an empty line: no line wait
		}
		lineStart := i
		if i, err = parseRequestLine(buf, i, req, lim.MaxRequestLine); err != nil {
			if err == ErrNeedMore {
				s.lineEnd = addSat(lineStart, lim.MaxRequestLine)
			}
			return 0, err
		}
		s.phase, p.sec, p.fields = phaseFields, newSection(i), fieldState{}
	} else {
		s.head.restore(buf, req)
	}
	if s.phase == phaseFields {
		i, err := parseHeaderSection(buf, req, lim, &p.sec, &p.fields)
		if err != nil {
			if err == ErrNeedMore {
				s.wait(buf, req, p.sec.lineEnd(len(buf), lim))
			}
			return 0, err
		}
		req.HeaderDone = true
		switch {
		case req.Chunked:
			s.phase, p.body, p.sec = phaseChunks, newChunkProgress(i), section{}
		case req.ContentLength >= 0:
			s.phase, p.body = phaseBody, newChunkProgress(i) // only start is used
		default:
			return i, nil // no body (RFC 9112 §6.3 rule 7)
		}
	}
	if s.phase == phaseBody {
		n, err := parseLengthBody(buf, p.body.start, req)
		if err == ErrNeedMore {
			s.wait(buf, req, 0)
		}
		return n, err
	}
	// phaseChunks or phaseTrailers: p.sec.start is 0 until the last-chunk
	// line is complete, then the trailer section's start.
	body := lim.forBody(req.Path)
	lim = &body
	n, err := parseChunkedBody(buf, req, lim, &p.body, &p.sec)
	if err == ErrNeedMore {
		if p.sec.start == 0 {
			s.wait(buf, req, p.body.chunkLineEnd(lim))
		} else {
			s.phase = phaseTrailers
			s.wait(buf, req, p.sec.lineEnd(len(buf), lim))
		}
	}
	return n, err
}

// wait records, on ErrNeedMore, what the Request holds so far and what the
// next call waits for: the exact req.Need when one was set, else the end of
// a line whose limit is crossed at length lineEnd.
func (s *State) wait(buf []byte, req *Request, lineEnd int) {
	s.head.save(buf, req)
	if req.Need == 0 {
		s.lineEnd = lineEnd
	}
}

// head is what the complete request line and field lines set in a Request,
// with its views kept as offsets into the buffer.
type head struct {
	method                                         Method
	minor                                          int
	contentLength                                  int64
	keepAlive, expectContinue, headerDone, chunked bool
	methodName, target, path, host, contentType    span
	encoding                                       Encoding
}

func (h *head) save(buf []byte, r *Request) {
	*h = head{
		method: r.Method, minor: r.Minor, contentLength: r.ContentLength,
		keepAlive: r.KeepAlive, expectContinue: r.ExpectContinue,
		headerDone: r.HeaderDone, chunked: r.Chunked,
		methodName: spanOf(buf, r.MethodName), target: spanOf(buf, r.Target),
		path: spanOf(buf, r.Path), host: spanOf(buf, r.Host),
		contentType: spanOf(buf, r.ContentType), encoding: r.Encoding,
	}
}

// restore sets what h saved into r, a Request just Reset, with its views
// into buf.
func (h *head) restore(buf []byte, r *Request) {
	r.Method, r.Minor, r.ContentLength = h.method, h.minor, h.contentLength
	r.KeepAlive, r.ExpectContinue = h.keepAlive, h.expectContinue
	r.HeaderDone, r.Chunked = h.headerDone, h.chunked
	r.MethodName, r.Target = h.methodName.in(buf), h.target.in(buf)
	r.Path, r.Host = h.path.in(buf), h.host.in(buf)
	r.ContentType, r.Encoding = h.contentType.in(buf), h.encoding
}

// span is a view buf[off:off+n] kept as offsets; off < 0 is a nil view.
type span struct{ off, n int }

// spanOf locates the view v within buf. Every view the parser stores is
// buf[a:b], or a part of one, sliced with two indices, so it shares buf's end
// of capacity: a = cap(buf) - cap(v).
func spanOf(buf, v []byte) span {
	if v == nil {
		return span{off: -1}
	}
	off := cap(buf) - cap(v)
	if off < 0 || len(v) > len(buf)-off {
		panic("BUG: httpparse: a Request view outside the parsed buffer")
	}
	return span{off, len(v)}
}

// in returns the view s describes in buf, sliced with two indices (see spanOf).
func (s span) in(buf []byte) []byte {
	if s.off < 0 {
		return nil
	}
	return buf[s.off : s.off+s.n]
}
