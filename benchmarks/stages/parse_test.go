package stages

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/onemrc/onemrc/httpparse"
)

var (
	parseSink    int
	netHTTPSink  *http.Request
	bodyScratch  = make([]byte, 64)
	parseLimits  httpparse.Limits // the defaults, as pipeline.Config{} uses
	parseRequest httpparse.Request
)

// BenchmarkParse is httpparse.Parse of one whole request (request line,
// header section, Content-Length body) from a buffer holding exactly it.
func BenchmarkParse(b *testing.B) {
	for _, tc := range requestCases {
		in := readFixture(b, tc.path)
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				n, err := httpparse.Parse(in, &parseRequest, parseLimits)
				if err != nil || n != len(in) || len(parseRequest.Body) != len(typicalBody) {
					b.Fatalf("Parse = %d, %v; body %q", n, err, parseRequest.Body)
				}
				parseSink = n
			}
			cpu.report(b, 0)
		})
	}
}

// BenchmarkParseNetHTTP is the baseline: net/http's ReadRequest over a reused
// bytes.Reader and bufio.Reader, reading the body into a reused buffer (a
// server must consume it before the next request). It builds the header map
// and the *http.Request a net/http handler receives.
func BenchmarkParseNetHTTP(b *testing.B) {
	for _, tc := range requestCases {
		in := readFixture(b, tc.path)
		b.Run(tc.name, func(b *testing.B) {
			src := bytes.NewReader(in)
			br := bufio.NewReader(src)
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				src.Reset(in)
				br.Reset(src)
				req, err := http.ReadRequest(br)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.ReadFull(req.Body, bodyScratch[:req.ContentLength])
				if err != nil || n != len(typicalBody) || req.Method != http.MethodPost {
					b.Fatalf("body %d bytes, %v; method %s", n, err, req.Method)
				}
				netHTTPSink = req
			}
			cpu.report(b, 0)
		})
	}
}

// TestInputsParseAlike checks that every benchmark input is one complete
// POST /event carrying the typical body, for httpparse and net/http alike,
// so the two parse benchmarks do the same work.
func TestInputsParseAlike(t *testing.T) {
	for _, tc := range requestCases {
		t.Run(tc.name, func(t *testing.T) {
			in := readFixture(t, tc.path)
			var req httpparse.Request
			n, err := httpparse.Parse(in, &req, httpparse.Limits{})
			if err != nil || n != len(in) {
				t.Fatalf("httpparse.Parse = %d, %v; want %d, nil", n, err, len(in))
			}
			if req.Method != httpparse.MethodPost || string(req.Path) != "/event" || string(req.Body) != typicalBody {
				t.Fatalf("httpparse: %s %s %q", req.Method, req.Path, req.Body)
			}
			std, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(in)))
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(std.Body)
			if err != nil || std.Method != http.MethodPost || std.URL.Path != "/event" || string(body) != typicalBody {
				t.Fatalf("net/http: %s %s %q %v", std.Method, std.URL.Path, body, err)
			}
		})
	}
}
