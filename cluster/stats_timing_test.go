package cluster

import (
	"testing"

	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/store"
)

var statsSink []byte

// BenchmarkAppendStats is one cluster /stats: this node's live snapshot plus the other
// nodes' totals from the last flush, with (slow) and without (small) slow-path values on
// both sides, and a new Small event on this node between answers.
func BenchmarkAppendStats(b *testing.B) {
	for _, tc := range []struct {
		name  string
		local []string
		view  []any
	}{
		{"small", []string{"1", "2.5"}, []any{"OK", int64(9), "a", "2", "35", "-1", "b", "4", "-12345", "-9"}},
		{"slow", []string{"1.7e308", "1.777777777777777777777777777777777777777777777777777777777777777777e-310"}, []any{"OK", int64(3), "a", "2", "1", "-300", "b", "2", "-17", "307"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			st := store.New(store.Options{})
			sh := st.NewShard()
			var dec event.Decoder
			var ev event.Event
			for _, v := range tc.local {
				if err := dec.Decode([]byte(`{"userId":"u","value":`+v+`}`), &ev); err != nil {
					b.Fatal(err)
				}
				sh.Record(&ev)
			}
			n := &Node{cfg: Config{NodeID: "a"}}
			if err := n.accept(tc.view); err != nil {
				b.Fatal(err)
			}
			if err := dec.Decode([]byte(`{"userId":"u","value":1}`), &ev); err != nil {
				b.Fatal(err)
			}
			statsSink = make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				sh.Record(&ev)
				sh.Publish()
				local := st.Snapshot()
				statsSink = n.AppendStats(statsSink[:0], &local)
				if len(statsSink) < 90 {
					b.Fatal(string(statsSink))
				}
			}
		})
	}
}
