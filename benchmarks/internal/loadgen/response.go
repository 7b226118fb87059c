package loadgen

import "bytes"

// Limits on one response, checked before scanning further: the daemon's
// answers are a status line, a few headers and at most a short JSON error.
const (
	maxResponseHead = 8 << 10
	maxResponseBody = 1 << 20
)

// Response is the part of a parsed response the load client acts on.
type Response struct {
	Status int    // the three-digit status code
	Close  bool   // "Connection: close" was sent: no more responses follow
	Body   []byte // the body, a view into the buffer parsed
}

// ParseResponse reads one HTTP/1.1 response at the start of buf and returns
// it with the number of bytes it spans (head and body). It returns
// ErrNeedMore when buf holds only part of a response. It neither copies nor
// keeps buf.
//
// Framing follows RFC 9112 §6.3: the body length comes from Content-Length;
// responses to our requests always carry one (or are 204/304/1xx, which have
// no body). Transfer-Encoding is not expected from the daemon and is
// reported as ErrUnsupportedResponse rather than guessed at.
func ParseResponse(buf []byte) (Response, int, error) {
	var r Response
	headEnd := bytes.Index(buf, []byte("\r\n\r\n"))
	if headEnd < 0 {
		if len(buf) > maxResponseHead {
			return r, 0, ErrResponseTooLarge
		}
		return r, 0, ErrNeedMore
	}
	if headEnd > maxResponseHead {
		return r, 0, ErrResponseTooLarge
	}
	head := buf[:headEnd+2] // every line, each with its CRLF

	// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4)
	lineEnd := bytes.Index(head, []byte("\r\n"))
	line := head[:lineEnd]
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[8] != ' ' ||
		(len(line) > 12 && line[12] != ' ') {
		return r, 0, ErrMalformedResponse
	}
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return r, 0, ErrMalformedResponse
		}
		r.Status = r.Status*10 + int(c-'0')
	}

	bodyLen, haveLength := 0, false
	for rest := head[lineEnd+2:]; len(rest) > 0; {
		end := bytes.Index(rest, []byte("\r\n"))
		field := rest[:end]
		rest = rest[end+2:]
		colon := bytes.IndexByte(field, ':')
		if colon <= 0 {
			return r, 0, ErrMalformedResponse
		}
		name, value := field[:colon], bytes.TrimSpace(field[colon+1:])
		switch {
		case asciiEqualFold(name, "content-length"):
			n, ok := parseLength(value)
			if !ok || (haveLength && n != bodyLen) {
				return r, 0, ErrMalformedResponse
			}
			bodyLen, haveLength = n, true
		case asciiEqualFold(name, "transfer-encoding"):
			return r, 0, ErrUnsupportedResponse
		case asciiEqualFold(name, "connection"):
			r.Close = r.Close || asciiEqualFold(value, "close")
		}
	}
	if !haveLength && !bodyless(r.Status) {
		return r, 0, ErrUnsupportedResponse
	}
	if bodyLen > maxResponseBody {
		return r, 0, ErrResponseTooLarge
	}
	total := headEnd + 4 + bodyLen
	if len(buf) < total {
		return r, 0, ErrNeedMore
	}
	r.Body = buf[headEnd+4 : total]
	return r, total, nil
}

// bodyless reports the statuses that never carry a body (RFC 9110 §6.4.1).
func bodyless(status int) bool {
	return status < 200 || status == 204 || status == 304
}

// parseLength reads Content-Length = 1*DIGIT (RFC 9110 §8.6), capped well
// below int overflow.
func parseLength(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// asciiEqualFold compares b with the lower-case ASCII string lower,
// ignoring the case of b (field names are case-insensitive, RFC 9110 §5.1).
func asciiEqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
