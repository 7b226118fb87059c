package pipeline

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/store"
)

// session drives Process the way Serve does: bytes arrive in reads, the pipeline
// consumes whole requests, the rest stays buffered.
type session struct {
	t      *testing.T
	st     *store.Store
	p      *Pipeline
	conn   Conn
	buf    []byte
	out    []byte
	closed bool
}

func newSession(t *testing.T) *session {
	st := store.New(store.Options{})
	return &session{t: t, st: st, p: New(st, Config{})}
}

// feed delivers one read's worth of bytes.
func (s *session) feed(b []byte) {
	require.False(s.t, s.closed, "feed after close")
	s.buf = append(s.buf, b...)
	if len(s.buf) < s.conn.Need() {
		return
	}
	n, closeConn := s.p.Process(&s.conn, s.buf)
	s.out = append(s.out, s.p.Output()...)
	s.p.ResetOutput()
	s.buf = s.buf[n:]
	s.closed = closeConn
}

// responses parses everything written so far; methods are the requests' methods in order
// (HEAD responses have no body).
func (s *session) responses(methods ...string) []*http.Response {
	br := bufio.NewReader(bytes.NewReader(s.out))
	var rs []*http.Response
	for _, m := range methods {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		require.NoError(s.t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(s.t, err)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.Header.Set("X-Test-Body", string(body))
		rs = append(rs, resp)
	}
	_, err := br.ReadByte()
	require.ErrorIs(s.t, err, io.EOF, "more output than the expected %d responses", len(methods))
	return rs
}

func body(r *http.Response) string { return r.Header.Get("X-Test-Body") }

func post(body string) string {
	return "POST /event HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
		itoa(len(body)) + "\r\n\r\n" + body
}

func itoa(n int) string { return strconv.Itoa(n) }

const getStats = "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n"

func TestEventThenStats(t *testing.T) {
	s := newSession(t)
	s.feed([]byte(post(`{"userId":"user_1","value":10}`) + post(`{"userId":"user_2","value":2.5}`) +
		post(`{"userId":"user_1","value":1.5e1}`) + getStats))
	rs := s.responses("POST", "POST", "POST", "GET")
	for _, r := range rs[:3] {
		assert.Equal(t, 200, r.StatusCode)
		assert.Equal(t, int64(0), r.ContentLength)
		assert.NotEmpty(t, r.Header.Get("Date"))
	}
	assert.Equal(t, 200, rs[3].StatusCode)
	assert.Equal(t, "application/json", rs[3].Header.Get("Content-Type"))
	assert.JSONEq(t, `{"totalRequests":3,"uniqueUsers":2,"sum":27.5,"avg":9.166666666666666}`, body(rs[3]))
	assert.False(t, s.closed)
	assert.Empty(t, s.buf)
}

func TestFiftyPipelinedRequestsAnsweredInOrder(t *testing.T) {
	s := newSession(t)
	var in strings.Builder
	methods := make([]string, 0, 51)
	for i := range 50 {
		in.WriteString(post(`{"userId":"u` + itoa(i%7) + `","value":` + itoa(i) + `}`))
		methods = append(methods, "POST")
	}
	in.WriteString(getStats)
	methods = append(methods, "GET")
	s.feed([]byte(in.String()))
	rs := s.responses(methods...)
	assert.JSONEq(t, `{"totalRequests":50,"uniqueUsers":7,"sum":1225,"avg":24.5}`, body(rs[50]))
}

// Every split of a batch into two reads, and byte-at-a-time feeding, must give the same
// bytes out as one read (apart from the Date field, which is frozen here).
func TestSplitAtEveryByte(t *testing.T) {
	batch := []byte(post(`{"userId":"user\u00e9","value":1}`) +
		"POST /event HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"use\r\n1a\r\nrId\":\"useré\",\"value\":0.5}\r\n0\r\n\r\n" +
		"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" + getStats)
	whole := newSession(t)
	whole.feed(batch)
	want := whole.out
	rs := whole.responses("POST", "POST", "GET", "GET")
	assert.JSONEq(t, `{"totalRequests":2,"uniqueUsers":1,"sum":1.5,"avg":0.75}`, body(rs[3]))

	for i := 1; i < len(batch); i++ {
		s := newSession(t)
		s.feed(batch[:i])
		s.feed(batch[i:])
		require.Equal(t, string(want), string(s.out), "split at %d", i)
	}
	s := newSession(t)
	for i := range batch {
		s.feed(batch[i : i+1])
	}
	require.Equal(t, string(want), string(s.out), "byte at a time")
}

func TestConnectionClose(t *testing.T) {
	s := newSession(t)
	s.feed([]byte("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + getStats))
	rs := s.responses("GET")
	assert.True(t, rs[0].Close)
	assert.True(t, s.closed)
	assert.Equal(t, len(getStats), len(s.buf), "nothing after a closing request is processed")
}

func TestHTTP10(t *testing.T) {
	s := newSession(t)
	s.feed([]byte("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
	rs := s.responses("GET")
	assert.Equal(t, "keep-alive", rs[0].Header.Get("Connection"))
	assert.False(t, s.closed)

	s = newSession(t)
	s.feed([]byte("GET /health HTTP/1.0\r\n\r\n"))
	rs = s.responses("GET")
	assert.True(t, rs[0].Close)
	assert.True(t, s.closed)
}

func TestExpectContinue(t *testing.T) {
	s := newSession(t)
	body := `{"userId":"a","value":1}`
	s.feed([]byte("POST /event HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n"))
	assert.Equal(t, continueResponse, string(s.out))
	s.feed([]byte(body[:5]))
	assert.Equal(t, continueResponse, string(s.out), "100 Continue is sent once")
	s.feed([]byte(body[5:]))
	s.out = s.out[len(continueResponse):]
	rs := s.responses("POST")
	assert.Equal(t, 200, rs[0].StatusCode)
	assert.Equal(t, uint64(1), s.st.Snapshot().TotalRequests)
}

func TestRouting(t *testing.T) {
	cases := []struct {
		name, req, method string
		status            int
		allow, body       string
	}{
		{"query ignored", "GET /stats?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 200, "", `{"totalRequests":0,"uniqueUsers":0,"sum":0,"avg":0}`},
		{"absolute form", "GET http://example.com/health HTTP/1.1\r\nHost: example.com\r\n\r\n", "GET", 200, "", `{"status":"ok"}`},
		{"head health", "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD", 200, "", ""},
		{"unknown path", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 404, "", `{"error":"not found"}`},
		{"wrong method event", "GET /event HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 405, "POST", `{"error":"method not allowed"}`},
		{"wrong method stats", "POST /stats HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "POST", 405, "GET, HEAD", `{"error":"method not allowed"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t)
			s.feed([]byte(tc.req))
			rs := s.responses(tc.method)
			assert.Equal(t, tc.status, rs[0].StatusCode)
			assert.Equal(t, tc.allow, rs[0].Header.Get("Allow"))
			assert.Equal(t, tc.body, body(rs[0]))
			assert.False(t, s.closed)
		})
	}
}

// A bad body is the client's mistake inside a well-framed request: 400, nothing counted,
// and the connection goes on.
func TestBadBodyKeepsConnection(t *testing.T) {
	bad := []string{
		`{"userId":"a"}`, `{"value":1}`, `{"userId":"","value":1}`, `{"userId":5,"value":1}`,
		`{"userId":"a","value":"1"}`, `{"userId":"a","value":NaN}`, `{"userId":"a","value":1e999}`,
		`{"userId":"a","value":1} x`, `not json`, ``, `{"userid":"a","value":1}`,
	}
	for _, b := range bad {
		t.Run(b, func(t *testing.T) {
			s := newSession(t)
			s.feed([]byte(post(b) + getStats))
			rs := s.responses("POST", "GET")
			assert.Equal(t, 400, rs[0].StatusCode)
			assert.Equal(t, "application/json", rs[0].Header.Get("Content-Type"))
			assert.Contains(t, body(rs[0]), `{"error":"`)
			assert.JSONEq(t, `{"totalRequests":0,"uniqueUsers":0,"sum":0,"avg":0}`, body(rs[1]))
			assert.False(t, s.closed)
		})
	}
}

// A framing error closes the connection after one 4xx/5xx and counts nothing.
func TestFramingErrorCloses(t *testing.T) {
	cases := []struct {
		name, req string
		status    int
	}{
		{"cl and te", "POST /event HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"duplicate cl", "POST /event HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400},
		{"obs-fold", "GET /stats HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", 400},
		{"bad method", "G(T /stats HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"body too large", "POST /event HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413},
		{"long line", "GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\n", 414},
		{"big headers", "GET /stats HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("a", 9000) + "\r\n", 431},
		{"http2", "GET /stats HTTP/2.0\r\nHost: x\r\n\r\n", 505},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t)
			s.feed([]byte(tc.req))
			require.True(t, s.closed)
			rs := s.responses("GET")
			assert.Equal(t, tc.status, rs[0].StatusCode)
			assert.True(t, rs[0].Close)
			assert.Contains(t, body(rs[0]), `{"error":"`)
			assert.Zero(t, s.st.Snapshot().TotalRequests)
		})
	}
}

// Once Process returns, its events are in every snapshot taken afterwards, from anywhere.
func TestProcessPublishes(t *testing.T) {
	s := newSession(t)
	other := New(s.st, Config{})
	s.feed([]byte(post(`{"userId":"a","value":1}`)))
	var c Conn
	_, _ = other.Process(&c, []byte(getStats))
	assert.Contains(t, string(other.Output()), `"totalRequests":1,`)
}

func TestLocalScope(t *testing.T) {
	for target, want := range map[string]bool{
		"/stats":                     false,
		"/stats?scope=local":         true,
		"/stats?a=1&scope=local":     true,
		"/stats?scope=local&a=1":     true,
		"/stats?scope=locale":        false,
		"/stats?xscope=local":        false,
		"/stats?scope=cluster&":      false,
		"/stats?&&scope=local":       true,
		"/stats?a=scope=local":       false,
		"/stats?scope=local?x":       false,
		"http://h/stats?scope=local": true,
	} {
		assert.Equal(t, want, localScope([]byte(target)), target)
	}
}
