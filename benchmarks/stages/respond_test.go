package stages

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/onemrc/onemrc/pipeline"
	"github.com/onemrc/onemrc/store"
)

var respondSink []byte

// cannedEventOK returns a copy of the bytes the pipeline answers a
// keep-alive POST /event with: Process of the curl request, its Output.
func cannedEventOK(tb testing.TB) []byte {
	tb.Helper()
	p := pipeline.New(store.New(store.Options{}), pipeline.Config{})
	in := readFixture(tb, curlRequest)
	var c pipeline.Conn
	if n, closeConn := p.Process(&c, in); n != len(in) || closeConn {
		tb.Fatalf("Process = %d, %v", n, closeConn)
	}
	return append([]byte(nil), p.Output()...)
}

// BenchmarkRespond is the respond stage as the pipeline runs it for a
// keep-alive POST /event: append the canned 200 (status line, Date, and
// Content-Length: 0, rebuilt only when the Date second changes) to the
// loop's output buffer. The loop package exports no response writer, so the
// bytes are taken from a Process output and the benchmark does the one
// append the pipeline does per request; the per-batch Date check (one atomic
// pointer load) is not in it.
func BenchmarkRespond(b *testing.B) {
	canned := cannedEventOK(b)
	respondSink = make([]byte, 0, 4096)
	b.SetBytes(int64(len(canned)))
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		respondSink = append(respondSink[:0], canned...)
		if len(respondSink) != len(canned) {
			b.Fatal("short response")
		}
	}
	cpu.report(b, 0)
}

// BenchmarkRespondFormatted is the plain baseline: format the same response
// per request (time.Now, the IMF-fixdate Date of RFC 9110 §5.6.7,
// strconv for Content-Length) into a reused buffer.
func BenchmarkRespondFormatted(b *testing.B) {
	canned := cannedEventOK(b)
	respondSink = make([]byte, 0, 4096)
	b.SetBytes(int64(len(canned)))
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		respondSink = appendFormattedOK(respondSink[:0], time.Now())
		if len(respondSink) != len(canned) {
			b.Fatalf("formatted %q, canned %q", respondSink, canned)
		}
	}
	cpu.report(b, 0)
}

// appendFormattedOK appends a 200 with an empty body, formatted from
// scratch.
func appendFormattedOK(dst []byte, now time.Time) []byte {
	dst = append(dst, "HTTP/1.1 200 OK\r\nDate: "...)
	dst = now.UTC().AppendFormat(dst, http.TimeFormat)
	dst = append(dst, "\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, 0, 10)
	return append(dst, "\r\n\r\n"...)
}

// TestRespondFormattedMatchesCanned checks that the baseline writes the
// pipeline's response, up to the Date value.
func TestRespondFormattedMatchesCanned(t *testing.T) {
	date := regexp.MustCompile(`Date: [^\r]*\r\n`)
	canned := date.ReplaceAllString(string(cannedEventOK(t)), "Date: X\r\n")
	formatted := date.ReplaceAllString(string(appendFormattedOK(nil, time.Now())), "Date: X\r\n")
	if canned != formatted {
		t.Fatalf("canned %q\nformatted %q", canned, formatted)
	}
}
