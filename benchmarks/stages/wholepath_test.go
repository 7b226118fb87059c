package stages

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/onemrc/onemrc/pipeline"
	"github.com/onemrc/onemrc/store"
)

var wholeSink int

// wholeCases are the inputs of the whole-path benchmarks: one curl request,
// and 16 pipelined requests from 16 users processed in one call.
var wholeCases = []struct {
	name     string
	requests int
}{
	{"curl", 1},
	{"pipelined16", 16},
}

// wholeInput returns the bytes of n requests (the curl request itself for 1).
func wholeInput(tb testing.TB, n int) []byte {
	if n == 1 {
		return readFixture(tb, curlRequest)
	}
	return pipelined(tb, n)
}

// BenchmarkWholePath is the in-memory path of one event loop from request
// bytes to response bytes: pipeline.Pipeline.Process parses, routes, decodes,
// records into the loop's shard, publishes the shard once and appends the
// canned 200s; ResetOutput stands in for the socket write (BenchmarkSend).
// ns/req is per request (equal to ns/op for curl).
func BenchmarkWholePath(b *testing.B) {
	for _, wc := range wholeCases {
		b.Run(wc.name, func(b *testing.B) {
			in := wholeInput(b, wc.requests)
			st := store.New(store.Options{})
			p := pipeline.New(st, pipeline.Config{})
			var c pipeline.Conn
			wantOut := wc.requests * len(cannedEventOK(b))
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			n := 0
			cpu := startCPU()
			for b.Loop() {
				consumed, closeConn := p.Process(&c, in)
				if consumed != len(in) || closeConn || len(p.Output()) != wantOut {
					b.Fatalf("Process = %d, %v, %d output bytes: %q", consumed, closeConn, len(p.Output()), p.Output())
				}
				p.ResetOutput()
				n++
			}
			cpu.report(b, wc.requests)
			wholeSink = n
			if snap := st.Snapshot(); snap.TotalRequests != uint64(n*wc.requests) || snap.UniqueUsers != uint64(wc.requests) {
				b.Fatalf("%d requests recorded as %d, %d users", n*wc.requests, snap.TotalRequests, snap.UniqueUsers)
			}
		})
	}
}

// BenchmarkWholePathNetHTTP is the baseline: the same bytes through
// net/http's pieces in memory (netHTTPPath). It is a lower bound on a
// net/http server's work: it leaves out the per-connection goroutine, the
// request context and connection-state tracking, and the socket itself.
func BenchmarkWholePathNetHTTP(b *testing.B) {
	for _, wc := range wholeCases {
		b.Run(wc.name, func(b *testing.B) {
			in := wholeInput(b, wc.requests)
			h := newNetHTTPPath()
			wantOut := wc.requests * len(cannedEventOK(b))
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			n := 0
			cpu := startCPU()
			for b.Loop() {
				served, written, err := h.serve(in)
				if err != nil || served != wc.requests || written != wantOut {
					b.Fatalf("served %d, wrote %d bytes (want %d), %v", served, written, wantOut, err)
				}
				n++
			}
			cpu.report(b, wc.requests)
			wholeSink = n
			if got := h.ref.count.Load(); got != int64(n*wc.requests) || h.ref.unique.Load() != int64(wc.requests) {
				b.Fatalf("%d requests recorded as %d, %d users", n*wc.requests, got, h.ref.unique.Load())
			}
		})
	}
}

// netHTTPPath is a net/http handler path in memory, reusing what can be
// reused across calls: http.ReadRequest over a reused bytes.Reader and
// bufio.Reader; a ServeMux with the 1MRC routes; a POST /event handler in
// the challenge reference style (json.NewDecoder(r.Body).Decode into a
// struct, then refStore's sync.Map and atomics); the rest of the body
// drained as net/http does; and a minimal ResponseWriter that writes the
// status line, the handler's header fields, Date and Content-Length into a
// reused bufio.Writer, flushed once per call to a byte counter.
type netHTTPPath struct {
	src *bytes.Reader
	br  *bufio.Reader
	out countingWriter
	w   bufferedResponse
	mux *http.ServeMux
	ref *refStore
}

func newNetHTTPPath() *netHTTPPath {
	h := &netHTTPPath{src: bytes.NewReader(nil), ref: new(refStore)}
	h.br = bufio.NewReader(h.src)
	h.w = bufferedResponse{header: make(http.Header), bw: bufio.NewWriter(&h.out)}
	h.mux = newBaselineMux(func(w http.ResponseWriter, r *http.Request) {
		var ev eventJSON
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.ref.record(ev.UserID, ev.Value)
		w.WriteHeader(http.StatusOK)
	})
	return h
}

// serve answers every request in in and reports how many it served and how
// many response bytes it wrote.
func (h *netHTTPPath) serve(in []byte) (served, written int, err error) {
	h.src.Reset(in)
	h.br.Reset(h.src)
	h.out = 0
	for {
		req, err := http.ReadRequest(h.br)
		if err == io.EOF {
			break
		}
		if err != nil {
			return served, 0, err
		}
		h.w.reset()
		h.mux.ServeHTTP(&h.w, req)
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return served, 0, err
		}
		h.w.WriteHeader(http.StatusOK) // no-op when the handler wrote it
		served++
	}
	if err := h.w.bw.Flush(); err != nil {
		return served, 0, err
	}
	return served, int(h.out), nil
}

// bufferedResponse is the minimal http.ResponseWriter of netHTTPPath. It
// frames only empty bodies (Content-Length: 0), all the benchmark sends.
type bufferedResponse struct {
	header      http.Header
	bw          *bufio.Writer
	wroteHeader bool
	scratch     []byte
}

func (w *bufferedResponse) reset() {
	clear(w.header)
	w.wroteHeader = false
}

func (w *bufferedResponse) Header() http.Header { return w.header }

func (w *bufferedResponse) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.scratch = append(w.scratch[:0], "HTTP/1.1 "...)
	w.scratch = strconv.AppendInt(w.scratch, int64(code), 10)
	w.scratch = append(w.scratch, ' ')
	w.scratch = append(w.scratch, http.StatusText(code)...)
	w.scratch = append(w.scratch, "\r\n"...)
	_, _ = w.bw.Write(w.scratch)
	_ = w.header.Write(w.bw)
	w.scratch = append(w.scratch[:0], "Date: "...)
	w.scratch = time.Now().UTC().AppendFormat(w.scratch, http.TimeFormat)
	w.scratch = append(w.scratch, "\r\nContent-Length: 0\r\n\r\n"...)
	_, _ = w.bw.Write(w.scratch)
}

func (w *bufferedResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.bw.Write(p)
}

// countingWriter counts the bytes written to it and keeps none.
type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// TestWholePathsAgree checks that both whole-path benchmarks serve every
// request of their inputs, count every event and write responses of the
// pipeline's length.
func TestWholePathsAgree(t *testing.T) {
	for _, wc := range wholeCases {
		t.Run(wc.name, func(t *testing.T) {
			in := wholeInput(t, wc.requests)
			wantOut := wc.requests * len(cannedEventOK(t))

			st := store.New(store.Options{})
			p := pipeline.New(st, pipeline.Config{})
			var c pipeline.Conn
			consumed, closeConn := p.Process(&c, in)
			if consumed != len(in) || closeConn || len(p.Output()) != wantOut {
				t.Fatalf("Process = %d, %v, %d output bytes, want %d", consumed, closeConn, len(p.Output()), wantOut)
			}
			if snap := st.Snapshot(); snap.TotalRequests != uint64(wc.requests) || snap.UniqueUsers != uint64(wc.requests) {
				t.Fatalf("pipeline recorded %d events from %d users", snap.TotalRequests, snap.UniqueUsers)
			}

			h := newNetHTTPPath()
			served, written, err := h.serve(in)
			if err != nil || served != wc.requests || written != wantOut {
				t.Fatalf("net/http path served %d, wrote %d (want %d), %v", served, written, wantOut, err)
			}
			if h.ref.count.Load() != int64(wc.requests) || h.ref.unique.Load() != int64(wc.requests) {
				t.Fatalf("net/http path recorded %d events from %d users", h.ref.count.Load(), h.ref.unique.Load())
			}
		})
	}
}
