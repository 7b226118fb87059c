package stages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/pipeline"
	"github.com/onemrc/onemrc/store"
)

// batchEvents is the events of one batch in the batch benchmarks.
const batchEvents = 1000

// batchRequest is one POST /events carrying batchEvents events of the challenge's form
// as NDJSON (users user_10000 .. user_10999, so every userId has the length of
// user_12345), with the header fields curl sends.
func batchRequest() []byte {
	var body strings.Builder
	for i := range batchEvents {
		fmt.Fprintf(&body, "{\"userId\":\"user_%d\",\"value\":%d}\n", 10000+i, (i*7)%1000)
	}
	return []byte(fmt.Sprintf("POST /events HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/7.88.1\r\n"+
		"Accept: */*\r\nContent-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n%s", body.Len(), body.String()))
}

// BenchmarkBatchPath is BenchmarkWholePath for a batch: Process of one POST /events of
// 1,000 events (parse, route, decode every element into the staging list, record each,
// publish, answer {"accepted":1000}). ns/req and cpu-ns/req are per event.
func BenchmarkBatchPath(b *testing.B) {
	in := batchRequest()
	st := store.New(store.Options{})
	p := pipeline.New(st, pipeline.Config{})
	var c pipeline.Conn
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	n := 0
	cpu := startCPU()
	for b.Loop() {
		consumed, closeConn := p.Process(&c, in)
		if consumed != len(in) || closeConn || !bytes.HasSuffix(p.Output(), []byte(`{"accepted":1000}`)) {
			b.Fatalf("Process = %d, %v: %q", consumed, closeConn, p.Output())
		}
		p.ResetOutput()
		n++
	}
	cpu.report(b, batchEvents)
	wholeSink = n
	if snap := st.Snapshot(); snap.TotalRequests != uint64(n*batchEvents) || snap.UniqueUsers != batchEvents {
		b.Fatalf("%d events recorded as %d, %d users", n*batchEvents, snap.TotalRequests, snap.UniqueUsers)
	}
}

// BenchmarkBatchPathNetHTTP is the baseline: the same bytes through net/http's pieces in
// memory (as BenchmarkWholePathNetHTTP), with a handler that decodes the NDJSON stream
// with one json.Decoder into a slice (all or nothing, as onemrc), then records each event
// in the challenge reference style (refStore). Its answer carries no body: what is
// measured is the path to the count.
func BenchmarkBatchPathNetHTTP(b *testing.B) {
	in := batchRequest()
	h := newNetHTTPBatchPath()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	n := 0
	cpu := startCPU()
	for b.Loop() {
		served, _, err := h.serve(in)
		if err != nil || served != 1 {
			b.Fatalf("served %d: %v", served, err)
		}
		n++
	}
	cpu.report(b, batchEvents)
	wholeSink = n
	if got := h.ref.count.Load(); got != int64(n*batchEvents) || h.ref.unique.Load() != batchEvents {
		b.Fatalf("%d events recorded as %d, %d users", n*batchEvents, got, h.ref.unique.Load())
	}
}

func newNetHTTPBatchPath() *netHTTPPath {
	h := newNetHTTPPath()
	var events []eventJSON
	h.mux.HandleFunc("POST /events", func(w http.ResponseWriter, r *http.Request) {
		events = events[:0]
		dec := json.NewDecoder(r.Body)
		for {
			var ev eventJSON
			err := dec.Decode(&ev)
			if err == io.EOF {
				break
			}
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			events = append(events, ev)
		}
		for _, ev := range events {
			h.ref.record(ev.UserID, ev.Value)
		}
		w.WriteHeader(http.StatusOK)
	})
	return h
}

// Both paths count the same batch alike.
func TestBatchPathsAgree(t *testing.T) {
	in := batchRequest()
	st := store.New(store.Options{})
	p := pipeline.New(st, pipeline.Config{})
	var c pipeline.Conn
	consumed, _ := p.Process(&c, in)
	require.Equal(t, len(in), consumed)
	h := newNetHTTPBatchPath()
	served, _, err := h.serve(in)
	require.NoError(t, err)
	require.Equal(t, 1, served)
	snap := st.Snapshot()
	require.Equal(t, int64(snap.TotalRequests), h.ref.count.Load())
	require.Equal(t, int64(snap.UniqueUsers), h.ref.unique.Load())
	require.Equal(t, snap.Sum(), math.Float64frombits(h.ref.sumBits.Load()))
}
