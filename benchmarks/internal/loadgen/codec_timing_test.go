package loadgen

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"testing"
)

var (
	sinkBytes  []byte
	sinkStatus int
)

// BenchmarkEncoderAppend is the cost of producing one request; the
// baseline formats the same bytes with fmt.Appendf.
func BenchmarkEncoderAppend(b *testing.B) {
	enc := NewEncoder("127.0.0.1:8080", 75_000, true)
	b.Run("template", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		b.SetBytes(int64(len(enc.Append(nil, 123_456))))
		b.ReportAllocs()
		i := uint64(0)
		for b.Loop() {
			buf = enc.Append(buf[:0], i)
			if len(buf) < 100 {
				b.Fatal("short request")
			}
			i++
		}
		sinkBytes = buf
	})
	b.Run("baseline=fmt", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		i := uint64(0)
		for b.Loop() {
			body := fmt.Appendf(nil, `{"userId":"user_%d","value":%d.5}`, i%75_000, i%1000)
			buf = fmt.Appendf(buf[:0], "POST /event HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: onemrc-challenge\r\n"+
				"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			if len(buf) < 100 {
				b.Fatal("short request")
			}
			i++
		}
		sinkBytes = buf
	})
}

// BenchmarkParseResponse parses the daemon's two usual answers; the
// baseline is net/http's ReadResponse over the same bytes.
func BenchmarkParseResponse(b *testing.B) {
	cases := map[string][]byte{"ok": okResponse, "error": badResponse}
	for name, resp := range cases {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(resp)))
			b.ReportAllocs()
			for b.Loop() {
				r, n, err := ParseResponse(resp)
				if err != nil || n != len(resp) {
					b.Fatalf("n=%d err=%v", n, err)
				}
				sinkStatus = r.Status
			}
		})
		b.Run(name+"/baseline=net-http", func(b *testing.B) {
			b.SetBytes(int64(len(resp)))
			b.ReportAllocs()
			src := bytes.NewReader(resp)
			br := bufio.NewReader(src)
			for b.Loop() {
				src.Reset(resp)
				br.Reset(src)
				r, err := http.ReadResponse(br, nil)
				if err != nil {
					b.Fatal(err)
				}
				sinkStatus = r.StatusCode
			}
		})
	}
}
