package httpparse

import "testing"

// BenchmarkTrickle feeds a request one byte per call, as a client sending a
// byte at a time makes the event loop do, and reports the time per request
// and per byte:
//
//   - reparse is Parse alone, called from byte 0 whenever Need bytes are
//     buffered (the baseline: quadratic while a line is incomplete);
//   - resume is Blocked on the new byte, then ParseFrom when it can progress.
func BenchmarkTrickle(b *testing.B) {
	cases := []struct {
		name string
		in   []byte
	}{
		{"header-8KB", []byte(header8K())},
		{"chunked-ext", []byte(chunkedHead + longExtChunks(4, 2000, 0))}, // 8 KB of size lines
	}
	for _, c := range cases {
		in := c.in
		b.Run(c.name+"/reparse", func(b *testing.B) {
			var r Request
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				need := 0
				for k := 1; k <= len(in); k++ {
					if k < need {
						continue
					}
					n, err := Parse(in[:k], &r, Limits{})
					if err == ErrNeedMore {
						need = r.Need
						continue
					}
					if err != nil || n != len(in) {
						b.Fatalf("Parse = %d, %v", n, err)
					}
					sinkN += n
				}
			}
			sinkBody = r.Body
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(in)), "ns/byte")
		})
		b.Run(c.name+"/resume", func(b *testing.B) {
			var (
				r  Request
				st State
			)
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				for k := 1; k <= len(in); k++ {
					if st.Blocked(in[:k], k-1) {
						continue
					}
					n, err := ParseFrom(in[:k], &r, Limits{}, &st)
					if err == ErrNeedMore {
						continue
					}
					if err != nil || n != len(in) {
						b.Fatalf("ParseFrom = %d, %v", n, err)
					}
					sinkN += n
				}
			}
			sinkBody = r.Body
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(in)), "ns/byte")
		})
	}
}
