package httpparse

import "math/bits"

// maxLeadingEmptyLines is how many empty lines (CRLF) before the request line
// are skipped; RFC 9112 §2.2 asks a server to ignore at least one.
const maxLeadingEmptyLines = 4

// Parse parses one request at the start of buf. It returns the number of
// bytes the whole request (leading empty lines, request line, header
// section, body, trailers) occupies, or ErrNeedMore (n == 0) when buf holds
// only a prefix of a request that could still be valid, or an *Error
// (n == 0). It allocates nothing in steady state, performs no I/O and keeps
// no global state. See the package documentation for how long the views in
// req stay valid.
func Parse(buf []byte, req *Request, lim Limits) (n int, err error) {
	lim.setDefaults()
	req.Reset()
	n, err = parse(buf, req, &lim)
	if err != nil {
		if err == ErrNeedMore && req.Need <= len(buf) {
			req.Need = len(buf) + 1
		}
		return 0, err
	}
	return n, nil
}

// parse is Parse's driver: each element in order, from byte 0. The resumable
// driver, State.parse, runs the same element parsers from where it stopped;
// both must reach the same outcome on the same bytes (FuzzResume).
func parse(buf []byte, req *Request, lim *Limits) (int, error) {
	i, err := skipEmptyLines(buf)
	if err != nil {
		return 0, err
	}
	// The bodies of parseRequestLine and parseHeaderSection, written out:
	// a call each costs this driver a few percent of a typical request.
	end, short := window(buf, i, lim.MaxRequestLine, ErrRequestLineTooLong)
	if next, ok := parseRequestLineWords(buf[:end], i, req); ok {
		i = next
	} else if i, err = parseRequestLineBytes(buf[:end], i, req, short); err != nil {
		return 0, err
	}
	sec, fields := newSection(i), fieldState{}
	end, _ = window(buf, i, lim.MaxHeaderBytes, nil)
	stop, lines, kind, nameStart, nameEnd, valueStart, valueEnd := scanFieldLinesWords(buf[:end], i, lim.MaxHeaders, req, &fields)
	if kind == kindNone && stop+1 < end && buf[stop] == '\r' && buf[stop+1] == '\n' {
		i, err = stop+2, finishHeaderSection(req, lim, &fields)
	} else {
		i, err = resumeHeaderSection(buf, req, lim, &sec, &fields, stop, lines, kind, nameStart, nameEnd, valueStart, valueEnd)
	}
	if err != nil {
		return 0, err
	}
	req.HeaderDone = true
	switch {
	case req.Chunked:
		cp, trailers, body := newChunkProgress(i), section{}, lim.forBody(req.Path)
		return parseChunkedBody(buf, req, &body, &cp, &trailers)
	case req.ContentLength >= 0:
		return parseLengthBody(buf, i, req)
	default:
		// Neither Content-Length nor Transfer-Encoding: the body is empty
		// (RFC 9112 §6.3 rule 7).
		return i, nil
	}
}

// parseLengthBody takes the Content-Length body at buf[start:], or sets
// req.Need to the length that completes it.
func parseLengthBody(buf []byte, start int, req *Request) (int, error) {
	// ContentLength <= MaxBody was checked with the header section.
	cl := int(req.ContentLength)
	if cl > len(buf)-start {
		req.Need = addSat(start, cl)
		return 0, ErrNeedMore
	}
	req.Body = buf[start : start+cl]
	return start + cl, nil
}

// skipEmptyLines returns the index just past the empty lines (CRLF) that may
// precede the request line.
func skipEmptyLines(buf []byte) (int, error) {
	i := 0
	for k := 0; ; k++ {
		if i >= len(buf) {
			return 0, ErrNeedMore
		}
		switch buf[i] {
		case '\n':
			return 0, ErrBadLineEnding
		case '\r':
		default:
			return i, nil
		}
		if i+1 >= len(buf) {
			return 0, ErrNeedMore
		}
		if buf[i+1] != '\n' {
			return 0, ErrBadLineEnding
		}
		if k == maxLeadingEmptyLines {
			return 0, ErrBadRequestLine
		}
		i += 2
	}
}

// lineBreakError classifies the CR or LF (or other byte) at buf[i], found
// where the line cannot end yet: a bare LF, or a CR not followed by LF, is
// ErrBadLineEnding (RFC 9112 §2.2); anything else is def.
func lineBreakError(buf []byte, i int, def error) error {
	switch {
	case buf[i] == '\n':
		return ErrBadLineEnding
	case buf[i] == '\r' && i+1 < len(buf) && buf[i+1] != '\n':
		return ErrBadLineEnding
	}
	return def
}

// parseRequestLine parses
//
//	request-line = method SP request-target SP HTTP-version CRLF   (RFC 9112 §3)
//	HTTP-version = HTTP-name "/" DIGIT "." DIGIT                   (RFC 9112 §2.3)
//
// at buf[start:] and returns the index after its CRLF. The whole line,
// CRLF included, must fit in max bytes.
func parseRequestLine(buf []byte, start int, req *Request, max int) (int, error) {
	end, short := window(buf, start, max, ErrRequestLineTooLong)
	line := buf[:end]
	if next, ok := parseRequestLineWords(line, start, req); ok {
		return next, nil
	}
	return parseRequestLineBytes(line, start, req, short)
}

// parseRequestLineBytes is parseRequestLine after its fast path: the line at
// line[start:], whose end is the end of the region it must fit in, scanned
// byte by byte where it must; short is what to report when line ends first.
func parseRequestLineBytes(line []byte, start int, req *Request, short error) (int, error) {
	i := skipClass(line, start, classToken)
	if i == len(line) {
		return 0, short
	}
	if line[i] != ' ' || i == start {
		switch line[i] {
		case ' ', '\t', '\r':
			return 0, lineBreakError(line, i, ErrBadRequestLine)
		case '\n':
			return 0, ErrBadLineEnding
		}
		return 0, ErrBadMethod
	}
	req.MethodName = line[start:i]
	req.Method = lookupMethod(req.MethodName)

	i++
	targetStart := i
	i = skipClass(line, i, classPath)
	query := i // the "?" starting the query, or the end of the target
	if i < len(line) && line[i] == '?' {
		i = skipClass(line, i+1, classTarget)
	}
	if i == len(line) {
		return 0, short
	}
	if line[i] != ' ' || i == targetStart {
		switch line[i] {
		case ' ', '\t', '\r', '\n':
			return 0, lineBreakError(line, i, ErrBadRequestLine)
		}
		return 0, ErrBadTarget
	}
	req.Target = line[targetStart:i]

	i++
	next, err := parseVersion(line, i, req, short)
	if err != nil {
		return 0, err
	}
	return next, parseTarget(req, query-targetStart)
}

// Little-endian words of the method prefixes parseRequestLineWords knows:
// the method and its SP.
const (
	wordGET  = uint64('G') | uint64('E')<<8 | uint64('T')<<16 | uint64(' ')<<24
	wordPUT  = uint64('P') | uint64('U')<<8 | uint64('T')<<16 | uint64(' ')<<24
	wordPOST = uint64('P') | uint64('O')<<8 | uint64('S')<<16 | uint64('T')<<24 | uint64(' ')<<32
	wordHEAD = uint64('H') | uint64('E')<<8 | uint64('A')<<16 | uint64('D')<<24 | uint64(' ')<<32
)

// parseRequestLineWords is the fast path of parseRequestLine for the line
// nearly every request has: GET, POST, PUT or HEAD (told by one word
// compare), an origin-form target whose path is scanned a word at a time,
// and "HTTP/1.1". When it returns ok, it has set what parseRequestLine sets
// for the same line and returns the same index; otherwise it has set
// nothing, and parseRequestLine decides the line byte by byte.
func parseRequestLineWords(line []byte, start int, req *Request) (next int, ok bool) {
	if start+8 > len(line) {
		return 0, false
	}
	var method Method
	sp := start // the SP after the method
	switch w := load64(line, start); {
	case w&0xff_ffff_ffff == wordPOST:
		method, sp = MethodPost, start+4
	case w&0xffff_ffff == wordGET:
		method, sp = MethodGet, start+3
	case w&0xffff_ffff == wordPUT:
		method, sp = MethodPut, start+3
	case w&0xff_ffff_ffff == wordHEAD:
		method, sp = MethodHead, start+4
	default:
		return 0, false
	}
	targetStart := sp + 1
	i := targetStart
	for {
		if i+8 > len(line) {
			return 0, false
		}
		if flags := notPathBytes(load64(line, i)); flags != 0 {
			i += bits.TrailingZeros64(flags) >> 3
			break
		}
		i += 8
	}
	query := i
	if line[i] == '?' {
		i = skipClass(line, i+1, classTarget)
		if i >= len(line) {
			return 0, false
		}
	}
	if line[i] != ' ' || line[targetStart] != '/' {
		return 0, false // also when the target is empty: then line[targetStart] is the SP
	}
	const proto = "HTTP/1.1\r\n"
	if len(line)-(i+1) < len(proto) || string(line[i+1:i+1+len(proto)]) != proto {
		return 0, false
	}
	req.Method, req.MethodName = method, line[start:sp]
	req.Target, req.Path = line[targetStart:i], line[targetStart:query]
	req.Minor = 1
	return i + 1 + len(proto), true
}

// parseVersion parses HTTP-version CRLF at line[i:]. Only major version 1 is
// served; a higher minor version is processed as HTTP/1.1, the highest this
// recipient conforms to (RFC 9110 §2.5, §6.2).
func parseVersion(line []byte, i int, req *Request, short error) (int, error) {
	const proto = "HTTP/1.1\r\n"
	if len(line)-i >= len(proto) && string(line[i:i+len(proto)]) == proto {
		req.Minor = 1
		return i + len(proto), nil
	}
	for k := 0; k < len(proto); k++ {
		if i+k >= len(line) {
			return 0, short
		}
		c := line[i+k]
		var ok bool
		switch k {
		case 5, 7:
			ok = c >= '0' && c <= '9'
		case 8:
			if c != '\r' {
				return 0, lineBreakError(line, i+k, errAfterVersion(c))
			}
			ok = true
		case 9:
			if c != '\n' {
				return 0, ErrBadLineEnding
			}
			ok = true
		default:
			ok = c == proto[k]
		}
		if !ok {
			return 0, lineBreakError(line, i+k, ErrBadVersion)
		}
	}
	if line[i+5] != '1' {
		return 0, ErrVersionNotSupported
	}
	req.Minor = 0
	if line[i+7] != '0' {
		req.Minor = 1
	}
	return i + len(proto), nil
}

// errAfterVersion classifies a byte found where the CR after the version
// belongs: more whitespace breaks the line's structure, anything else
// lengthens the version.
func errAfterVersion(c byte) error {
	if c == ' ' || c == '\t' {
		return ErrBadRequestLine
	}
	return ErrBadVersion
}
