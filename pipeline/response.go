package pipeline

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// connMode is what a response says about the connection after it (RFC 9112 §9.3, §9.6).
type connMode uint8

const (
	keepAlive11 connMode = iota // HTTP/1.1 persistent: no Connection field needed
	keepAlive10                 // HTTP/1.0 client asked for keep-alive: confirm it
	closeAfter                  // the server closes after this response
)

// httpDate holds the current IMF-fixdate for the Date field, which an origin server with
// a clock must send on 2xx and 4xx responses (RFC 9110 §6.6.1). One goroutine refreshes it
// once a second; loops only load the pointer.
var httpDate atomic.Pointer[string]

func init() { RefreshDate(time.Now()) }

// RefreshDate sets the Date field of the answers from now on. The event loop's ticker
// calls it once a second.
func RefreshDate(now time.Time) {
	d := now.UTC().Format(http.TimeFormat)
	httpDate.Store(&d)
}

// templates are the canned bytes of the hot responses for one Date value.
type templates struct {
	date    *string
	eventOK []byte // 200 to POST /event on a persistent HTTP/1.1 connection
}

func (t *templates) refresh() {
	d := httpDate.Load()
	if d == t.date {
		return
	}
	t.date = d
	t.eventOK = appendHead(t.eventOK[:0], http.StatusOK, keepAlive11, "", 0, "")
}

// statusLine returns the status line for the statuses onemrc sends.
func statusLine(status int) string {
	switch status {
	case http.StatusContinue:
		return "HTTP/1.1 100 Continue\r\n"
	case http.StatusOK:
		return "HTTP/1.1 200 OK\r\n"
	case http.StatusBadRequest:
		return "HTTP/1.1 400 Bad Request\r\n"
	case http.StatusNotFound:
		return "HTTP/1.1 404 Not Found\r\n"
	case http.StatusMethodNotAllowed:
		return "HTTP/1.1 405 Method Not Allowed\r\n"
	case http.StatusRequestTimeout:
		return "HTTP/1.1 408 Request Timeout\r\n"
	case http.StatusRequestEntityTooLarge:
		return "HTTP/1.1 413 Content Too Large\r\n"
	case http.StatusRequestURITooLong:
		return "HTTP/1.1 414 URI Too Long\r\n"
	case http.StatusUnsupportedMediaType:
		return "HTTP/1.1 415 Unsupported Media Type\r\n"
	case http.StatusExpectationFailed:
		return "HTTP/1.1 417 Expectation Failed\r\n"
	case http.StatusRequestHeaderFieldsTooLarge:
		return "HTTP/1.1 431 Request Header Fields Too Large\r\n"
	case http.StatusNotImplemented:
		return "HTTP/1.1 501 Not Implemented\r\n"
	case http.StatusServiceUnavailable:
		return "HTTP/1.1 503 Service Unavailable\r\n"
	case http.StatusHTTPVersionNotSupported:
		return "HTTP/1.1 505 HTTP Version Not Supported\r\n"
	}
	panic("BUG: pipeline: no status line for " + strconv.Itoa(status))
}

const continueResponse = "HTTP/1.1 100 Continue\r\n\r\n"

// appendHead appends a status line and header section announcing a body of
// contentLength bytes. allow, when set, is sent as the Allow field (405).
func appendHead(dst []byte, status int, mode connMode, contentType string, contentLength int, allow string) []byte {
	dst = append(dst, statusLine(status)...)
	dst = append(dst, "Date: "...)
	dst = append(dst, *httpDate.Load()...)
	dst = append(dst, "\r\n"...)
	switch mode {
	case keepAlive10:
		dst = append(dst, "Connection: keep-alive\r\n"...)
	case closeAfter:
		dst = append(dst, "Connection: close\r\n"...)
	}
	if allow != "" {
		dst = append(dst, "Allow: "...)
		dst = append(dst, allow...)
		dst = append(dst, "\r\n"...)
	}
	if contentType != "" {
		dst = append(dst, "Content-Type: "...)
		dst = append(dst, contentType...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(contentLength), 10)
	return append(dst, "\r\n\r\n"...)
}

const jsonType = "application/json"

// appendError appends a response whose body is {"error":reason}. reason must need no
// JSON escaping: every reason onemrc sends is a short lower-case ASCII phrase.
func appendError(dst []byte, status int, mode connMode, reason, allow string, head bool) []byte {
	n := len(`{"error":""}`) + len(reason)
	dst = appendHead(dst, status, mode, jsonType, n, allow)
	if head {
		return dst
	}
	dst = append(dst, `{"error":"`...)
	dst = append(dst, reason...)
	return append(dst, `"}`...)
}

// appendJSON appends a 200 response carrying body as application/json.
func appendJSON(dst []byte, mode connMode, body []byte, head bool) []byte {
	dst = appendHead(dst, http.StatusOK, mode, jsonType, len(body), "")
	if head {
		return dst
	}
	return append(dst, body...)
}

// AppendClosingError appends an answer {"error":reason} after which the connection is
// closed; for answers given outside a request (a refused connection). It counts nothing.
func AppendClosingError(dst []byte, status int, reason string) []byte {
	return appendError(dst, status, closeAfter, reason, "", false)
}

// AppendTimeout appends the 408 for a request whose header section (or, with inBody,
// body) did not arrive in time, and counts it; the connection is closed after it.
func (p *Pipeline) AppendTimeout(dst []byte, inBody bool) []byte {
	reason, counter := "request header timeout", offHeaderTO
	if inBody {
		reason, counter = "request body timeout", offBodyTO
	}
	p.metrics.add(counter, 1)
	p.metrics.request(p.otherPair(), statusIndex(http.StatusRequestTimeout))
	n := len(dst)
	dst = appendError(dst, http.StatusRequestTimeout, closeAfter, reason, "", false)
	p.metrics.add(offBytesOut, uint64(len(dst)-n))
	return dst
}
