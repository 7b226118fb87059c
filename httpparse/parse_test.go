package httpparse

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validCase is a request that must parse; want leaves n == 0 to mean
// "the whole input".
type validCase struct {
	name string
	in   string
	lim  Limits
	want result
}

// validCases covers every form and rule that is accepted. Split-point and
// byte-at-a-time tests run over this table too.
var validCases = []validCase{
	{name: "get minimal", in: crlf("GET / HTTP/1.1\nHost: a\n\n"),
		want: result{method: MethodGet, methodName: "GET", target: "/", path: "/", minor: 1, keepAlive: true, contentLength: -1, host: "a"}},
	{name: "query excluded from path", in: crlf("GET /stats?x=1&y=?2 HTTP/1.1\nHost: a\n\n"),
		want: result{method: MethodGet, methodName: "GET", target: "/stats?x=1&y=?2", path: "/stats", minor: 1, keepAlive: true, contentLength: -1, host: "a"}},
	{name: "leading empty lines", in: crlf("\n\n\n\nGET /health HTTP/1.1\nHost: a\n\n"),
		want: result{method: MethodGet, methodName: "GET", target: "/health", path: "/health", minor: 1, keepAlive: true, contentLength: -1, host: "a"}},
	{name: "http10 no host closes", in: crlf("GET / HTTP/1.0\n\n"),
		want: result{method: MethodGet, methodName: "GET", target: "/", path: "/", minor: 0, keepAlive: false, contentLength: -1}},
	{name: "http10 keep-alive", in: crlf("GET / HTTP/1.0\nConnection: Keep-Alive\n\n"),
		want: result{method: MethodGet, methodName: "GET", target: "/", path: "/", minor: 0, keepAlive: true, contentLength: -1}},
	{name: "http10 keep-alive and close", in: crlf("GET / HTTP/1.0\nConnection: keep-alive , CLOSE\n\n"),
		want: result{method: MethodGet, methodName: "GET", target: "/", path: "/", minor: 0, keepAlive: false, contentLength: -1}},
	{name: "http11 close in second field", in: crlf("GET / HTTP/1.1\nHost: a\nConnection: upgrade\nconnection: foo,,Close\n\n"),
		want: result{method: MethodGet, methodName: "GET", target: "/", path: "/", minor: 1, keepAlive: false, contentLength: -1, host: "a"}},
	{name: "http11 closed is not close", in: crlf("GET / HTTP/1.1\nHost: a\nConnection: closed, xclose\n\n"),
		want: result{method: MethodGet, methodName: "GET", target: "/", path: "/", minor: 1, keepAlive: true, contentLength: -1, host: "a"}},
	{name: "http12 processed as 11", in: crlf("GET / HTTP/1.2\nHost: a\n\n"),
		want: result{method: MethodGet, methodName: "GET", target: "/", path: "/", minor: 1, keepAlive: true, contentLength: -1, host: "a"}},
	{name: "options asterisk", in: crlf("OPTIONS * HTTP/1.1\nHost: a\n\n"),
		want: result{method: MethodOptions, methodName: "OPTIONS", target: "*", path: "*", minor: 1, keepAlive: true, contentLength: -1, host: "a"}},
	{name: "connect authority", in: crlf("CONNECT example.com:443 HTTP/1.1\nHost: example.com:443\n\n"),
		want: result{method: MethodConnect, methodName: "CONNECT", target: "example.com:443", path: "", minor: 1, keepAlive: true, contentLength: -1, host: "example.com:443"}},
	{name: "connect ipv6", in: crlf("CONNECT [::1]:8080 HTTP/1.1\nHost: [::1]:8080\n\n"),
		want: result{method: MethodConnect, methodName: "CONNECT", target: "[::1]:8080", path: "", minor: 1, keepAlive: true, contentLength: -1, host: "[::1]:8080"}},
	{name: "absolute form path", in: crlf("GET http://example.com/a/b?q=1 HTTP/1.1\nHost: example.com\n\n"),
		want: result{method: MethodGet, methodName: "GET", target: "http://example.com/a/b?q=1", path: "/a/b", minor: 1, keepAlive: true, contentLength: -1, host: "example.com"}},
	{name: "absolute form no path", in: crlf("DELETE HTTPS://h:1?q HTTP/1.1\nHost: \n\n"),
		want: result{method: MethodDelete, methodName: "DELETE", target: "HTTPS://h:1?q", path: "/", minor: 1, keepAlive: true, contentLength: -1, host: ""}},
	{name: "absolute form bare", in: crlf("HEAD http://h HTTP/1.1\nHost: h\n\n"),
		want: result{method: MethodHead, methodName: "HEAD", target: "http://h", path: "/", minor: 1, keepAlive: true, contentLength: -1, host: "h"}},
	{name: "unknown and lower-case methods", in: crlf("get / HTTP/1.1\nHost: a\n\n"),
		want: result{method: MethodOther, methodName: "get", target: "/", path: "/", minor: 1, keepAlive: true, contentLength: -1, host: "a"}},
	{name: "token method", in: crlf("M-SEARCH! / HTTP/1.1\nHost: a\n\n"),
		want: result{method: MethodOther, methodName: "M-SEARCH!", target: "/", path: "/", minor: 1, keepAlive: true, contentLength: -1, host: "a"}},
	{name: "ows trimmed and obs-text kept", in: crlf("PUT /x HTTP/1.1\nHost: \t a \t\nX-Y:\xff\xfe v\t\nContent-Length:  3 \n\nabc"),
		want: result{method: MethodPut, methodName: "PUT", target: "/x", path: "/x", minor: 1, keepAlive: true, contentLength: 3, host: "a", body: "abc"}},
	{name: "content-length zero", in: crlf("POST /event HTTP/1.1\nHost: a\nContent-Length: 0\n\n"),
		want: result{method: MethodPost, methodName: "POST", target: "/event", path: "/event", minor: 1, keepAlive: true, contentLength: 0, host: "a"}},
	{name: "content-length leading zeros", in: crlf("PATCH /e HTTP/1.1\nHost: a\nContent-Length: 000000000000000002\n\nhi"),
		want: result{method: MethodPatch, methodName: "PATCH", target: "/e", path: "/e", minor: 1, keepAlive: true, contentLength: 2, host: "a", body: "hi"}},
	{name: "expect continue", in: crlf("POST /event HTTP/1.1\nHost: a\nExpect: 100-Continue\nContent-Length: 2\n\nhi"),
		want: result{method: MethodPost, methodName: "POST", target: "/event", path: "/event", minor: 1, keepAlive: true, expectContinue: true, contentLength: 2, host: "a", body: "hi"}},
	{name: "expect continue ignored in 10", in: crlf("POST /event HTTP/1.0\nExpect: 100-continue\nContent-Length: 2\n\nhi"),
		want: result{method: MethodPost, methodName: "POST", target: "/event", path: "/event", minor: 0, contentLength: 2, body: "hi"}},
	{name: "empty expect", in: crlf("TRACE / HTTP/1.1\nHost: a\nExpect:\n\n"),
		want: result{method: MethodTrace, methodName: "TRACE", target: "/", path: "/", minor: 1, keepAlive: true, contentLength: -1, host: "a"}},
	{name: "chunked single", in: crlf("POST /event HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n5\nhello\n0\n\n"),
		want: result{method: MethodPost, methodName: "POST", target: "/event", path: "/event", minor: 1, keepAlive: true, contentLength: -1, chunked: true, host: "a", body: "hello"}},
	{name: "chunked multi with extensions and trailers", in: crlf("POST /event HTTP/1.1\nHost: a\nTransfer-Encoding: , Chunked\n\n" +
		"5 ; a = b ;c=\"q\\\"x;\" ;d\nhello\n00A;e\n, world!!!\n1\n!\n000;z=1\nX-Trailer: 1\nOther:\n\n"),
		want: result{method: MethodPost, methodName: "POST", target: "/event", path: "/event", minor: 1, keepAlive: true, contentLength: -1, chunked: true, host: "a", body: "hello, world!!!!"}},
	{name: "chunked empty", in: crlf("POST /event HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n0\n\n"),
		want: result{method: MethodPost, methodName: "POST", target: "/event", path: "/event", minor: 1, keepAlive: true, contentLength: -1, chunked: true, host: "a"}},
	{name: "chunked upper hex", in: crlf("POST /event HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\nA\n0123456789\n0\n\n"),
		want: result{method: MethodPost, methodName: "POST", target: "/event", path: "/event", minor: 1, keepAlive: true, contentLength: -1, chunked: true, host: "a", body: "0123456789"}},
}

func TestParseValid(t *testing.T) {
	for _, tc := range validCases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want.err == nil && want.n == 0 {
				want.n = len(tc.in)
			}
			assert.Equal(t, want, parseSnapshot([]byte(tc.in), tc.lim))
		})
	}
}

// TestParseConsumesOnlyOneRequest checks that bytes after the request are
// left alone, whatever they are.
func TestParseConsumesOnlyOneRequest(t *testing.T) {
	for _, tc := range validCases {
		if tc.want.err != nil {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			for _, tail := range []string{"G", "\x00garbage", "\r\n", "\n"} {
				got := parseSnapshot([]byte(tc.in+tail), tc.lim)
				require.NoError(t, got.err)
				assert.Equal(t, len(tc.in), got.n)
			}
		})
	}
}

func TestMultiChunkBodyUsesScratch(t *testing.T) {
	in := []byte(crlf("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n2\nab\n2\ncd\n0\n\n"))
	var r Request
	n, err := Parse(in, &r, Limits{})
	require.NoError(t, err)
	require.Equal(t, len(in), n)
	assert.Equal(t, "abcd", string(r.Body))
	in[bytes.Index(in, []byte("ab"))] = 'X' // the body is a copy
	assert.Equal(t, "abcd", string(r.Body))

	// The next multi-chunk request reuses the scratch without reallocating.
	first := &r.Body[0]
	n, err = Parse([]byte(crlf("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n1\nx\n1\ny\n0\n\n")), &r, Limits{})
	require.NoError(t, err)
	require.NotZero(t, n)
	assert.Equal(t, "xy", string(r.Body))
	assert.Same(t, first, &r.Body[0])
}

func TestSingleChunkBodyIsView(t *testing.T) {
	in := []byte(crlf("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n"))
	var r Request
	_, err := Parse(in, &r, Limits{})
	require.NoError(t, err)
	in[bytes.Index(in, []byte("abc"))] = 'X'
	assert.Equal(t, "Xbc", string(r.Body))
}

func TestNeed(t *testing.T) {
	head := crlf("POST /event HTTP/1.1\nHost: a\nContent-Length: 10\n\n")
	chunkedHead := crlf("POST /event HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n")
	tests := []struct {
		name       string
		in         string
		need       int
		headerDone bool
	}{
		{"empty", "", 1, false},
		{"partial request line", "GET / HT", 9, false},
		{"partial headers", crlf("GET / HTTP/1.1\nHost: a\n"), 26, false},
		{"no body yet", head, len(head) + 10, true},
		{"partial body", head + "12345", len(head) + 10, true},
		{"chunk size line incomplete", chunkedHead + "1", len(chunkedHead) + 2, true},
		{"chunk data partial", chunkedHead + "a\r\n123", len(chunkedHead) + 3 + 10 + 2, true},
		{"chunk data lacks CRLF", chunkedHead + "a\r\n0123456789\r", len(chunkedHead) + 3 + 10 + 2, true},
		{"second chunk partial", chunkedHead + "1\r\nx\r\n5;e=1\r\nab", len(chunkedHead) + 6 + 7 + 5 + 2, true},
		{"last chunk without trailer end", chunkedHead + "0\r\n", len(chunkedHead) + 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Request
			n, err := Parse([]byte(tt.in), &r, Limits{})
			require.Equal(t, ErrNeedMore, err)
			assert.Zero(t, n)
			assert.Equal(t, tt.need, r.Need)
			assert.Equal(t, tt.headerDone, r.HeaderDone)
		})
	}
}

func TestExpectContinueVisibleBeforeBody(t *testing.T) {
	var r Request
	_, err := Parse([]byte(crlf("POST /event HTTP/1.1\nHost: a\nExpect: 100-continue\nContent-Length: 5\n\n")), &r, Limits{})
	require.Equal(t, ErrNeedMore, err)
	assert.True(t, r.HeaderDone)
	assert.True(t, r.ExpectContinue)
}

func TestErrorType(t *testing.T) {
	var r Request
	_, err := Parse([]byte("GET / HTTP/2.0\r\n"), &r, Limits{})
	var perr *Error
	require.True(t, errors.As(err, &perr))
	assert.Equal(t, 505, perr.Status)
	assert.Equal(t, "httpparse: "+perr.Reason, err.Error())
	assert.False(t, errors.As(ErrNeedMore, &perr), "ErrNeedMore is not an *Error")
	assert.True(t, strings.HasPrefix(ErrNeedMore.Error(), "httpparse: "))
}

func TestResetKeepsScratch(t *testing.T) {
	r := Request{Method: MethodGet, Body: []byte("x"), scratch: make([]byte, 3, 8)}
	r.Reset()
	assert.Equal(t, Request{ContentLength: -1, scratch: r.scratch}, r)
	assert.Equal(t, 0, len(r.scratch))
	assert.Equal(t, 8, cap(r.scratch))
}

func TestMethodString(t *testing.T) {
	for m := MethodOther; m <= MethodTrace; m++ {
		name := m.String()
		if m == MethodOther {
			assert.Equal(t, "OTHER", name)
			continue
		}
		assert.Equal(t, m, lookupMethod([]byte(name)), name)
	}
	assert.Equal(t, "OTHER", Method(200).String())
}
