package pipeline

import (
	"fmt"
	"strings"
	"testing"

	"github.com/onemrc/onemrc/store"
)

// BenchmarkBatch is one POST /events of 1,000 events of the challenge's form (75,000
// users, all known after the first rounds), per event: Process of the whole request, and
// Serve of it arriving in reads of 8 KiB (loop.ReadSize) as the event loop hands them
// over (the body kept on the Conn until it is whole). The rest of the daemon's cost per
// event is the read(2) calls.
func BenchmarkBatch(b *testing.B) {
	const events = 1000
	var lines strings.Builder
	for i := range events {
		fmt.Fprintf(&lines, "{\"userId\":\"user_%d\",\"value\":%d}\n", (i*75)%75_000, i%1000)
	}
	req := []byte(batchRequest("Content-Type: application/x-ndjson\r\n", lines.String()))
	for _, bc := range []struct {
		name string
		read int
	}{{"whole", len(req)}, {"reads-8KiB", 8 << 10}} {
		b.Run(bc.name, func(b *testing.B) {
			p := New(store.New(store.Options{}), Config{})
			var c Conn
			b.SetBytes(int64(len(req)) / events)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				var recorded uint64
				for off := 0; off < len(req); off += bc.read {
					recorded += p.Serve(&c, req[off:min(off+bc.read, len(req))]).Recorded
				}
				if recorded != events {
					b.Fatalf("recorded %d", recorded)
				}
				p.ResetOutput()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/events, "ns/event")
		})
	}
}
