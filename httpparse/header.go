package httpparse

import (
	"bytes"
	"encoding/binary"
)

// maxContentLengthDigits bounds Content-Length so that the value always fits
// in an int64 without overflow checks (10^18 - 1 < 2^63).
const maxContentLengthDigits = 18

// fieldState collects, across the field lines of one header section, what
// the framing rules need once the section is complete.
type fieldState struct {
	hosts          int
	sawCL, sawTE   bool
	connClose      bool
	connKeepAlive  bool
	expectContinue bool
}

// section is how far the scan of a header or trailer section got. The
// resumable parser keeps it between calls so that a section arriving line by
// line is scanned once, not from its first line on every read.
type section struct {
	start int // first byte of the section: its size limit counts from here
	next  int // first byte of the first field line not yet complete
	lines int // complete field lines before next
}

// newSection starts a section at buf[start:].
func newSection(start int) section { return section{start: start, next: start} }

// lineEnd is, for a section whose scan stopped short on a buffer of n bytes,
// the buffer length at which waiting for the end of its current line must
// stop: where the section crosses MaxHeaderBytes. It is 0 (no line wait: any
// byte decides) when the section already holds MaxHeaders lines and the next
// line has not begun, since its first byte is either the CR of the final
// CRLF or ErrHeadersTooLarge.
func (sec *section) lineEnd(n int, lim *Limits) int {
	if sec.lines == lim.MaxHeaders && sec.next == n {
		return 0
	}
	return addSat(sec.start, lim.MaxHeaderBytes)
}

// parseHeaderSection parses the header section that sec describes, applies
// the framing rules of RFC 9112 §6 and §9.3 to req, and returns the index
// after the section's final CRLF. st holds what the field lines before
// sec.next contributed.
func parseHeaderSection(buf []byte, req *Request, lim *Limits, sec *section, st *fieldState) (int, error) {
	// The word scan, run here before the section loop, takes the whole rest
	// of the section of most requests; the section loop resumes after the
	// lines it took, as after a short read.
	end, _ := window(buf, sec.start, lim.MaxHeaderBytes, nil)
	stop, lines, kind, nameStart, nameEnd, valueStart, valueEnd := scanFieldLinesWords(buf[:end], sec.next, lim.MaxHeaders-sec.lines, req, st)
	if kind == kindNone && stop+1 < end && buf[stop] == '\r' && buf[stop+1] == '\n' {
		return stop + 2, finishHeaderSection(req, lim, st)
	}
	return resumeHeaderSection(buf, req, lim, sec, st, stop, lines, kind, nameStart, nameEnd, valueStart, valueEnd)
}

// resumeHeaderSection takes the header section sec describes on from where
// scanFieldLinesWords stopped, with what it returned: it records the lines
// taken in sec; applies the line the word scan left to apply (kind !=
// kindNone) and lets the word scan go on; then runs the section loop, which
// begins with the line the word scan stopped before, and
// finishHeaderSection.
func resumeHeaderSection(buf []byte, req *Request, lim *Limits, sec *section, st *fieldState,
	stop, lines int, kind fieldKind, nameStart, nameEnd, valueStart, valueEnd int) (int, error) {
	sec.next, sec.lines = stop, sec.lines+lines
	if kind != kindNone {
		if err := applyTaken(buf, req, st, kind, nameStart, nameEnd, valueStart, valueEnd); err != nil {
			return 0, err
		}
		end, _ := window(buf, sec.start, lim.MaxHeaderBytes, nil)
		var err error
		if sec.next, sec.lines, err = takeLinesWords(buf[:end], sec.next, sec.lines, lim, req, st); err != nil {
			return 0, err
		}
	}
	end, err := scanFieldSection(buf, sec, lim, req, st)
	if err != nil {
		return 0, err
	}
	return end, finishHeaderSection(req, lim, st)
}

// takeLinesWords runs the word scan over b[i:], count lines into the
// section, and applies each line it leaves to apply, until it stops before
// a line it does not take; it returns where, and the count of lines then.
func takeLinesWords(b []byte, i, count int, lim *Limits, req *Request, st *fieldState) (int, int, error) {
	for {
		stop, lines, kind, nameStart, nameEnd, valueStart, valueEnd := scanFieldLinesWords(b, i, lim.MaxHeaders-count, req, st)
		i, count = stop, count+lines
		if kind == kindNone {
			return i, count, nil
		}
		if err := applyTaken(b, req, st, kind, nameStart, nameEnd, valueStart, valueEnd); err != nil {
			return 0, 0, err
		}
	}
}

// applyTaken applies a line scanFieldLinesWords took and left to apply: the
// field of the given kind (kindUnclassified: classified by its name
// b[nameStart:nameEnd]) with the value b[valueStart:valueEnd].
func applyTaken(b []byte, req *Request, st *fieldState, kind fieldKind, nameStart, nameEnd, valueStart, valueEnd int) error {
	if kind == kindUnclassified {
		kind = framingKind(b[nameStart:nameEnd])
	}
	return st.apply(req, kind, b[valueStart:valueEnd])
}

// finishHeaderSection applies the rules that need the whole header section,
// which st summarises, to req.
func finishHeaderSection(req *Request, lim *Limits, st *fieldState) error {
	if req.Minor == 1 && st.hosts == 0 {
		return ErrMissingHost // RFC 9112 §3.2
	}
	if req.ContentLength > int64(lim.maxBodyFor(req.Path)) {
		return ErrBodyTooLarge
	}
	// RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 persists only
	// with "keep-alive" (RFC 9112 §C.2.2), and "close" always wins.
	if req.Minor == 1 {
		req.KeepAlive = !st.connClose
	} else {
		req.KeepAlive = st.connKeepAlive && !st.connClose
	}
	// RFC 9110 §10.1.1: a 100-continue expectation in HTTP/1.0 is ignored.
	req.ExpectContinue = req.Minor == 1 && st.expectContinue
	return nil
}

// scanFieldSection scans
//
//	*( field-line CRLF ) CRLF                                    (RFC 9112 §2.1)
//	field-line = field-name ":" OWS field-value OWS              (RFC 9112 §5)
//
// from buf[sec.next:], bounded by lim.MaxHeaderBytes bytes from sec.start and
// lim.MaxHeaders lines, and returns the index after the final CRLF. With
// st != nil each field is applied to req; with st == nil (a trailer section)
// fields are validated and ignored.
//
// Invariant: when it returns short (b ends inside a line), sec.next is the
// start of that line and every line before it is complete and applied, so a
// later call on a longer buffer with the same prefix resumes there with the
// same outcome as a scan from sec.start.
func scanFieldSection(buf []byte, sec *section, lim *Limits, req *Request, st *fieldState) (int, error) {
	end, short := window(buf, sec.start, lim.MaxHeaderBytes, ErrHeadersTooLarge)
	b := buf[:end]
	i, count := sec.next, sec.lines
	// The loop returns on the final CRLF or an error and breaks, with i at
	// the start of the incomplete line, when b ends inside it: only then is
	// the progress recorded. Each turn takes the line at i with the exact
	// scan (the callers' word scan stopped before it, or, for a trailer
	// section, none ran yet), then the lines after it that the word scan
	// takes.
	for {
		if i >= len(b) {
			break
		}
		if b[i] == '\r' {
			if i+1 >= len(b) {
				break
			}
			if b[i+1] != '\n' {
				return 0, ErrBadLineEnding
			}
			return i + 2, nil
		}
		if count == lim.MaxHeaders {
			return 0, ErrHeadersTooLarge
		}
		nameEnd, valueStart, valueEnd, next, err := scanFieldLine(b, i)
		if err != nil {
			return 0, err
		}
		if next == 0 {
			break // b ends inside the line
		}
		if st != nil {
			if err := st.apply(req, framingKind(b[i:nameEnd]), b[valueStart:valueEnd]); err != nil {
				return 0, err
			}
		}
		if i, count, err = takeLinesWords(b, next, count+1, lim, req, st); err != nil {
			return 0, err
		}
	}
	sec.next, sec.lines = i, count
	return 0, short
}

// fieldNameError classifies the byte b[i] that ended the field name begun
// at b[start] when it is not the colon of a non-empty name.
func fieldNameError(b []byte, start, i int) error {
	switch {
	case i == start && isOWS(b[i]):
		return ErrObsFold // RFC 9112 §5.2
	case b[i] == '\n' || b[i] == '\r':
		return lineBreakError(b, i, ErrBadHeader)
	}
	// Includes whitespace between name and colon (RFC 9112 §5.1).
	return ErrBadHeader
}

// framingFieldInitial maps a field-name length to the lower-cased first
// letter of the one field of that length apply looks at, so that most
// fields are skipped without a call: host, expect, connection,
// content-type, content-length, content-encoding, transfer-encoding.
var framingFieldInitial = [...]byte{4: 'h', 6: 'e', 10: 'c', 12: 'c', 14: 'c', 16: 'c', 17: 't'}

func mayBeFramingField(first byte, n int) bool {
	return n < len(framingFieldInitial) && framingFieldInitial[n] == first|0x20
}

// apply records one header field of the given kind; the kinds but kindNone
// are the framing-relevant fields, the only ones looked at.
func (st *fieldState) apply(req *Request, kind fieldKind, value []byte) error {
	switch kind {
	case kindHost:
		return st.host(req, value)
	case kindExpect:
		return st.expect(value)
	case kindConnection:
		st.connection(value)
	case kindContentType:
		if req.ContentType == nil {
			req.ContentType = value
		}
	case kindContentLength:
		return st.contentLength(req, value)
	case kindContentEncoding:
		contentEncoding(req, value)
	case kindTransferEncoding:
		return st.transferEncoding(req, value)
	}
	return nil
}

// Keys of the field names apply looks at, as foldedNameKey computes them.
var (
	keyHost            = foldedNameKey([]byte("host"))
	keyExpect          = foldedNameKey([]byte("expect"))
	keyConnection      = foldedNameKey([]byte("connection"))
	keyContentLength   = foldedNameKey([]byte("content-length"))
	keyContentType     = foldedNameKey([]byte("content-type"))
	keyContentEncoding = foldedNameKey([]byte("content-encoding"))
)

// foldedNameKey packs a field name of 4 to 16 bytes into its first and last
// four (n < 8) or eight bytes, which overlap and so cover every byte, with
// bit 0x20 set in each: for token bytes that is ASCII case folding (see
// equalFoldLower). Two names of the same length are equal ignoring case iff
// their keys are equal.
func foldedNameKey(b []byte) [2]uint64 {
	n := len(b)
	if n < 8 {
		return [2]uint64{
			uint64(binary.LittleEndian.Uint32(b) | 0x20202020),
			uint64(binary.LittleEndian.Uint32(b[n-4:]) | 0x20202020),
		}
	}
	return [2]uint64{
		binary.LittleEndian.Uint64(b) | 0x20*swarOnes,
		binary.LittleEndian.Uint64(b[n-8:]) | 0x20*swarOnes,
	}
}

// host checks Host = uri-host [ ":" port ] (RFC 9110 §7.2) loosely by byte
// class; an empty value is allowed (RFC 9112 §3.2), a second field is not.
func (st *fieldState) host(req *Request, v []byte) error {
	st.hosts++
	if st.hosts > 1 {
		return ErrDuplicateHost
	}
	if skipClass(v, 0, classHost) != len(v) {
		return ErrBadHeader
	}
	req.Host = v
	return nil
}

// expect accepts only 100-continue (RFC 9110 §10.1.1); an empty value
// expects nothing.
func (st *fieldState) expect(v []byte) error {
	if len(v) == 0 {
		return nil
	}
	if !equalFoldLower(v, "100-continue") {
		return ErrExpectationFailed
	}
	st.expectContinue = true
	return nil
}

// connection collects the "close" and "keep-alive" options of
// Connection = #connection-option (RFC 9110 §7.6.1), case-insensitively,
// across every Connection field line.
func (st *fieldState) connection(v []byte) {
	for len(v) > 0 {
		var opt []byte
		opt, v = cutListElement(v)
		switch {
		case equalFoldLower(opt, "close"):
			st.connClose = true
		case equalFoldLower(opt, "keep-alive"):
			st.connKeepAlive = true
		}
	}
}

// contentEncoding names the coding of Content-Encoding = #content-coding
// (RFC 9110 §8.4) across every field line: gzip alone, identity (which
// changes nothing), or anything else.
func contentEncoding(req *Request, v []byte) {
	for len(v) > 0 {
		var coding []byte
		coding, v = cutListElement(v)
		switch {
		case len(coding) == 0, equalFoldLower(coding, "identity"):
		case req.Encoding == EncodingIdentity &&
			(equalFoldLower(coding, "gzip") || equalFoldLower(coding, "x-gzip")):
			req.Encoding = EncodingGzip
		default:
			req.Encoding = EncodingOther
		}
	}
}

// contentLength parses Content-Length = 1*DIGIT (RFC 9110 §8.6). A list of
// values, or any second field line, is rejected outright rather than
// reconciled (RFC 9112 §6.3 rule 5 lets a server reject them).
func (st *fieldState) contentLength(req *Request, v []byte) error {
	if st.sawCL {
		return ErrDuplicateContentLength
	}
	if st.sawTE {
		return ErrContentLengthWithTransferEncoding // RFC 9112 §6.1
	}
	st.sawCL = true
	if len(v) == 0 || len(v) > maxContentLengthDigits {
		return ErrBadContentLength
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return ErrBadContentLength
		}
		n = n*10 + int64(c-'0')
	}
	req.ContentLength = n
	return nil
}

// transferEncoding parses Transfer-Encoding = #transfer-coding
// (RFC 9112 §6.1) across every field line: chunked must appear exactly once
// and last; any other coding is not implemented; HTTP/1.0 must not use it.
func (st *fieldState) transferEncoding(req *Request, v []byte) error {
	if req.Minor == 0 {
		return ErrBadTransferEncoding // RFC 9112 §6.1: faulty framing in HTTP/1.0
	}
	if st.sawCL {
		return ErrContentLengthWithTransferEncoding
	}
	st.sawTE = true
	codings := 0
	for len(v) > 0 {
		var coding []byte
		coding, v = cutListElement(v)
		if len(coding) == 0 {
			continue // empty list elements are allowed (RFC 9110 §5.6.1)
		}
		codings++
		if req.Chunked {
			return ErrBadTransferEncoding // something after chunked
		}
		if equalFoldLower(coding, "chunked") {
			req.Chunked = true
			continue
		}
		n := 0
		for n < len(coding) && isToken(coding[n]) {
			n++
		}
		if n == 0 || equalFoldLower(coding[:n], "chunked") ||
			(n < len(coding) && coding[n] != ';' && !isOWS(coding[n])) {
			return ErrBadTransferEncoding // not a coding, or chunked with parameters
		}
		return ErrUnsupportedTransferEncoding
	}
	if codings == 0 {
		return ErrBadTransferEncoding
	}
	return nil
}

// cutListElement splits v at its first comma and returns the first element
// with OWS trimmed and the remainder (RFC 9110 §5.6.1 list syntax).
func cutListElement(v []byte) (elem, rest []byte) {
	if i := bytes.IndexByte(v, ','); i >= 0 {
		return trimOWS(v[:i]), v[i+1:]
	}
	return trimOWS(v), nil
}
