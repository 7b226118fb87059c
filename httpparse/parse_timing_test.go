package httpparse

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"testing"
)

// benchCases are the real client requests every benchmark runs over.
var benchCases = []string{"curl", "goclient", "node", "python", "wget", "curlchunked"}

// Sinks keep the compiler from discarding benchmark results.
var (
	sinkN    int
	sinkBody []byte
)

func BenchmarkParse(b *testing.B) {
	for _, name := range benchCases {
		buf := loadRequest(b, name)
		b.Run(name, func(b *testing.B) {
			var r Request
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				n, err := Parse(buf, &r, Limits{})
				if err != nil || n != len(buf) {
					b.Fatalf("Parse = %d, %v", n, err)
				}
				sinkN += n
			}
			sinkBody = r.Body
		})
	}
}

// BenchmarkNetHTTPReadRequest is the baseline: net/http parsing the same
// bytes and reading the body, with the bufio.Reader reused.
func BenchmarkNetHTTPReadRequest(b *testing.B) {
	for _, name := range benchCases {
		buf := loadRequest(b, name)
		b.Run(name, func(b *testing.B) {
			rd := bytes.NewReader(buf)
			br := bufio.NewReader(rd)
			body := make([]byte, 0, 4096)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				rd.Reset(buf)
				br.Reset(rd)
				req, err := http.ReadRequest(br)
				if err != nil {
					b.Fatal(err)
				}
				body = body[:0]
				for {
					n, err := req.Body.Read(body[len(body):cap(body)])
					body = body[:len(body)+n]
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				if len(body) == 0 || req.URL.Path != "/event" {
					b.Fatalf("bad parse: %q %q", req.URL.Path, body)
				}
				sinkN += len(body)
			}
			sinkBody = body
		})
	}
}
