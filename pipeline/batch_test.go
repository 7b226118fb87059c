package pipeline

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/httpparse"
	"github.com/onemrc/onemrc/store"
)

// batchRequest is a POST /events with the given extra header lines and body, framed by
// Content-Length.
func batchRequest(fields, body string) string {
	return "POST /events HTTP/1.1\r\nHost: x\r\n" + fields + "Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body
}

// chunkedBatch frames body in chunks of n bytes.
func chunkedBatch(fields, body string, n int) string {
	var b strings.Builder
	b.WriteString("POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + fields + "\r\n")
	for len(body) > 0 {
		c := body[:min(n, len(body))]
		body = body[len(c):]
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(c), c)
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

func ndjson(events ...string) string { return strings.Join(events, "\n") + "\n" }

func gzipText(t testing.TB, s string) string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.String()
}

const (
	evA = `{"userId":"a","value":1}`
	evB = `{"userId":"b","value":2.5}`
	evC = `{"userId":"a","value":3}`
)

// batchConfig has small limits, so that the tests reach them.
var batchConfig = Config{MaxBatchBytes: 4096, MaxBatchEvents: 3, Limits: httpparse.Limits{MaxBody: 256}}

func TestBatch(t *testing.T) {
	bomb := gzipText(t, strings.Repeat(" ", 1<<20)) // 1 MiB of spaces: about 1 KiB sent
	tests := []struct {
		name    string
		request string
		status  int
		body    string
		events  uint64 // counted once the batch is answered
		users   uint64
		sum     float64
		closes  bool
	}{
		{"ndjson", batchRequest("Content-Type: application/x-ndjson\r\n", ndjson(evA, evB, evC)),
			200, `{"accepted":3}`, 3, 2, 6.5, false},
		{"ndjson with charset and blank lines", batchRequest("Content-Type: application/x-ndjson; charset=utf-8\r\n", "\n"+evA+"\r\n\r\n"+evB),
			200, `{"accepted":2}`, 2, 2, 3.5, false},
		{"array", batchRequest("Content-Type: application/json\r\n", "["+evA+","+evB+"]"),
			200, `{"accepted":2}`, 2, 2, 3.5, false},
		{"array sniffed (curl's form type)", batchRequest("Content-Type: application/x-www-form-urlencoded\r\n", " ["+evA+"]"),
			200, `{"accepted":1}`, 1, 1, 1, false},
		{"ndjson sniffed (no type)", batchRequest("", evA+"\n"+evB),
			200, `{"accepted":2}`, 2, 2, 3.5, false},
		{"empty batch", batchRequest("Content-Type: application/x-ndjson\r\n", ""),
			200, `{"accepted":0}`, 0, 0, 0, false},
		{"empty array", batchRequest("Content-Type: application/json\r\n", "[]"),
			200, `{"accepted":0}`, 0, 0, 0, false},
		{"chunked", chunkedBatch("Content-Type: application/x-ndjson\r\n", ndjson(evA, evB, evC), 7),
			200, `{"accepted":3}`, 3, 2, 6.5, false},
		{"gzip", batchRequest("Content-Encoding: gzip\r\nContent-Type: application/x-ndjson\r\n", gzipText(t, ndjson(evA, evB))),
			200, `{"accepted":2}`, 2, 2, 3.5, false},
		{"gzip chunked", chunkedBatch("Content-Encoding: gzip\r\n", gzipText(t, "["+evA+","+evB+"]"), 5),
			200, `{"accepted":2}`, 2, 2, 3.5, false},

		{"invalid element: nothing counted", batchRequest("Content-Type: application/x-ndjson\r\n", ndjson(evA, evB, `{"userId":"c"}`)),
			400, `{"error":"missing value","index":2}`, 0, 0, 0, false},
		{"malformed element", batchRequest("Content-Type: application/x-ndjson\r\n", ndjson(evA, `{"userId":"c",`)),
			400, `{"error":"malformed JSON","index":1}`, 0, 0, 0, false},
		{"truncated array", batchRequest("Content-Type: application/json\r\n", "["+evA+","+evB),
			400, `{"error":"malformed JSON","index":2}`, 0, 0, 0, false},
		{"ndjson sent as json", batchRequest("Content-Type: application/json\r\n", ndjson(evA, evB)),
			400, `{"error":"batch is not a JSON array","index":0}`, 0, 0, 0, false},
		{"too many events", batchRequest("Content-Type: application/x-ndjson\r\n", ndjson(evA, evB, evC, evA)),
			413, `{"error":"too many events in batch","index":3}`, 0, 0, 0, false},
		{"gzip bomb", batchRequest("Content-Encoding: gzip\r\n", bomb),
			413, `{"error":"batch too large once decompressed","index":0}`, 0, 0, 0, false},
		{"corrupt gzip", batchRequest("Content-Encoding: gzip\r\n", gzipText(t, evA)[:20]),
			400, `{"error":"malformed gzip body","index":0}`, 0, 0, 0, false},
		{"deflate", batchRequest("Content-Encoding: deflate\r\n", evA),
			415, `{"error":"unsupported content encoding","index":0}`, 0, 0, 0, false},
		{"body over max-batch-bytes", batchRequest("", strings.Repeat(" ", 4097)),
			413, `{"error":"body too large"}`, 0, 0, 0, true},
		{"chunked body over max-batch-bytes", chunkedBatch("", strings.Repeat(" ", 4097), 1000),
			413, `{"error":"body too large"}`, 0, 0, 0, true},
		{"a batch-sized body to /event", post(strings.Repeat(" ", 300) + evA),
			413, `{"error":"body too large"}`, 0, 0, 0, true},
		{"GET /events", "GET /events HTTP/1.1\r\nHost: x\r\n\r\n",
			405, `{"error":"method not allowed"}`, 0, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := store.New(store.Options{})
			p := New(st, batchConfig)
			var c Conn
			b := p.Serve(&c, []byte(tt.request))
			out := string(p.Output())
			p.ResetOutput()
			resp := readResponse(t, out)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, tt.body, body(resp))
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			assert.Equal(t, tt.closes, b.Close)
			snap := st.Snapshot()
			assert.Equal(t, tt.events, snap.TotalRequests)
			assert.Equal(t, tt.events, b.Recorded)
			assert.Equal(t, tt.users, snap.UniqueUsers)
			assert.Equal(t, tt.sum, snap.Sum())
		})
	}
}

// readResponse parses the one response in out.
func readResponse(t *testing.T, out string) *http.Response {
	t.Helper()
	s := &session{t: t, out: []byte(out)}
	return s.responses("POST")[0]
}

// TestBatchSplitAtEveryByte: a batch that arrives in two reads, cut anywhere, is served
// as it is in one.
func TestBatchSplitAtEveryByte(t *testing.T) {
	body := ndjson(evA, evB, `{"userId":"\u00e9t\u00e9","value":-1e-9}`)
	requests := map[string]string{
		"content-length": batchRequest("Content-Type: application/x-ndjson\r\n", body),
		"chunked":        chunkedBatch("", body, 9),
		"gzip":           batchRequest("Content-Encoding: gzip\r\n", gzipText(t, body)),
		"invalid":        batchRequest("", ndjson(evA, `{"value":1}`)),
	}
	for name, req := range requests {
		whole := New(store.New(store.Options{}), batchConfig)
		var wc Conn
		whole.Serve(&wc, []byte(req))
		want := string(whole.Output())
		wantSnap := whole.store.Snapshot()
		for cut := 1; cut < len(req); cut++ {
			st := store.New(store.Options{})
			p := New(st, batchConfig)
			var c Conn
			first := p.Serve(&c, []byte(req[:cut]))
			require.Zero(t, first.Answered, "%s cut at %d", name, cut)
			require.Zero(t, st.Snapshot().TotalRequests, "nothing counted before the batch is whole")
			p.Serve(&c, []byte(req[cut:]))
			require.Equal(t, stripDate(want), stripDate(string(p.Output())), "%s cut at %d", name, cut)
			require.Equal(t, wantSnap, st.Snapshot(), "%s cut at %d", name, cut)
		}
	}
}

// stripDate removes the Date field, which may tick between two answers.
func stripDate(s string) string {
	i := strings.Index(s, "Date: ")
	if i < 0 {
		return s
	}
	j := strings.Index(s[i:], "\r\n")
	return s[:i] + s[i+j+2:]
}

// A refused batch leaves the connection usable: the next request is served.
func TestBatchRefusedKeepsTheConnection(t *testing.T) {
	s := newSessionWith(t, batchConfig)
	s.feed([]byte(batchRequest("", ndjson(evA, "{")) + batchRequest("", ndjson(evA, evB)) + getStats))
	rs := s.responses("POST", "POST", "GET")
	assert.Equal(t, 400, rs[0].StatusCode)
	assert.Equal(t, 200, rs[1].StatusCode)
	assert.JSONEq(t, `{"totalRequests":2,"uniqueUsers":2,"sum":3.5,"avg":1.75}`, body(rs[2]))
	assert.False(t, s.closed)
}

func newSessionWith(t *testing.T, cfg Config) *session {
	st := store.New(store.Options{})
	return &session{t: t, st: st, p: New(st, cfg)}
}

// The default limits: 4 MiB and 100,000 events.
func TestBatchDefaultLimits(t *testing.T) {
	p := New(store.New(store.Options{}), Config{})
	assert.Equal(t, 4<<20, p.maxBatchBytes)
	assert.Equal(t, 100_000, p.maxBatchEvents)
	assert.Equal(t, "/events", p.cfg.Limits.LargeBodyPath)
	assert.Equal(t, 4<<20, p.cfg.Limits.MaxLargeBody)

	var many strings.Builder
	for i := range 100_001 {
		fmt.Fprintf(&many, "{\"userId\":\"u%d\",\"value\":%d}\n", i%1000, i)
	}
	var c Conn
	p.Serve(&c, []byte(batchRequest("", many.String())))
	resp := readResponse(t, string(p.Output()))
	assert.Equal(t, 413, resp.StatusCode)
	assert.Equal(t, `{"error":"too many events in batch","index":100000}`, body(resp))
	assert.Zero(t, p.store.Snapshot().TotalRequests)
}

// A client that announces a large batch and sends little makes its loop hold at most a
// few times what it sent; one that sends it all gets one buffer of its size.
func TestAnnouncedBatchIsNotBelieved(t *testing.T) {
	p := New(store.New(store.Options{}), Config{})
	var c Conn
	head := "POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000\r\n\r\n"
	p.Serve(&c, []byte(head+strings.Repeat(" ", 100)))
	p.Serve(&c, []byte(strings.Repeat(" ", 100)))
	held := len(c.Pending())
	require.Equal(t, len(head)+200, held)
	assert.LessOrEqual(t, cap(c.Pending()), growAheadFactor*held)

	body := ndjson(evA, evB)
	req := batchRequest("", strings.Repeat(" ", 40_000)+body)
	var d Conn
	grows := 0
	for off := 0; off < len(req); off += 8 << 10 {
		before := cap(d.Pending())
		p.Serve(&d, []byte(req[off:min(off+8<<10, len(req))]))
		if cap(d.Pending()) != before && cap(d.Pending()) != 0 {
			grows++
		}
	}
	assert.Equal(t, 1, grows, "a 40 KB batch in 8 KiB reads gets one buffer of its size")
	assert.Equal(t, uint64(2), p.store.Snapshot().TotalRequests)
}

// Spares recycle batch buffers between requests, within their bounds, and a sweep
// interval in which none was used empties them.
func TestSparesAreBoundedAndTrimmed(t *testing.T) {
	p := New(store.New(store.Options{}), Config{})
	s := &p.spares
	s.put(make([]byte, 10, maxKeptPartial)) // what an idle connection keeps anyway
	assert.Zero(t, s.bytes)
	for range maxSpares + 1 {
		s.put(make([]byte, 0, 16<<10))
	}
	assert.Equal(t, maxSpares*(16<<10), s.bytes, "at most maxSpares buffers")
	assert.Nil(t, s.take(32<<10), "none big enough")
	got := s.take(10 << 10)
	require.NotNil(t, got)
	assert.Equal(t, 16<<10, cap(got))
	assert.Zero(t, len(got))

	p.TrimSpares() // one was taken since the last trim: kept
	assert.Equal(t, (maxSpares-1)*(16<<10), s.bytes)
	p.TrimSpares() // none since: dropped
	assert.Zero(t, s.bytes)
	assert.Nil(t, s.take(1))

	for range maxSpareBytes/(1<<20) + 1 {
		s.put(make([]byte, 0, 1<<20))
	}
	assert.Equal(t, maxSpareBytes, s.bytes, "at most maxSpareBytes")
}
