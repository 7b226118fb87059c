package hist

import "testing"

var sinkCount uint64

func BenchmarkRecord(b *testing.B) {
	h := New(60e9)
	b.ReportAllocs()
	v := int64(1)
	for b.Loop() {
		h.Record(v)
		v = (v*7 + 13) & (1<<32 - 1)
	}
	sinkCount = h.Count()
	if sinkCount == 0 {
		b.Fatal("nothing recorded")
	}
}
