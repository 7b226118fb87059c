package stages

import (
	"encoding/json"
	"testing"

	"github.com/bytedance/sonic"

	"github.com/onemrc/onemrc/store"
)

var statsSink []byte

// BenchmarkSerializeStats is store.AppendStats of the snapshot after the
// standard run into a reused buffer. It includes rounding the exact sum and
// average to float64 (Snapshot.Sum, Snapshot.Avg), which the baselines get
// for free in their struct. SetBytes is the body written.
func BenchmarkSerializeStats(b *testing.B) {
	snap := standardSnapshot(b)
	statsSink = make([]byte, 0, 128)
	b.SetBytes(int64(len(standardStats)))
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		statsSink = store.AppendStats(statsSink[:0], snap)
		if len(statsSink) != len(standardStats) {
			b.Fatalf("AppendStats = %s", statsSink)
		}
	}
	cpu.report(b, 0)
}

// standardStatsStruct is the same object as a plain struct, its floats
// computed once: what a reference server holds before it marshals.
func standardStatsStruct(tb testing.TB) statsJSON {
	snap := standardSnapshot(tb)
	return statsJSON{snap.TotalRequests, snap.UniqueUsers, snap.Sum(), snap.Avg()}
}

// BenchmarkSerializeStatsEncodingJSON is the baseline: json.Marshal of the
// struct (a new slice per call, as the API returns one).
func BenchmarkSerializeStatsEncodingJSON(b *testing.B) {
	v := standardStatsStruct(b)
	b.SetBytes(int64(len(standardStats)))
	b.ReportAllocs()
	var err error
	cpu := startCPU()
	for b.Loop() {
		statsSink, err = json.Marshal(&v)
		if err != nil || len(statsSink) != len(standardStats) {
			b.Fatalf("json.Marshal = %s, %v", statsSink, err)
		}
	}
	cpu.report(b, 0)
}

// BenchmarkSerializeStatsSonic is the baseline: sonic.Marshal of the struct
// (default config, JIT on amd64).
func BenchmarkSerializeStatsSonic(b *testing.B) {
	v := standardStatsStruct(b)
	b.SetBytes(int64(len(standardStats)))
	b.ReportAllocs()
	var err error
	cpu := startCPU()
	for b.Loop() {
		statsSink, err = sonic.Marshal(&v)
		if err != nil || len(statsSink) != len(standardStats) {
			b.Fatalf("sonic.Marshal = %s, %v", statsSink, err)
		}
	}
	cpu.report(b, 0)
}

// TestEncodersAgree checks that the three encoders write the same bytes for
// the standard snapshot, so the serialize benchmarks compare like with like.
func TestEncodersAgree(t *testing.T) {
	v := standardStatsStruct(t)
	ours := store.AppendStats(nil, standardSnapshot(t))
	std, err := json.Marshal(&v)
	if err != nil {
		t.Fatal(err)
	}
	viaSonic, err := sonic.Marshal(&v)
	if err != nil {
		t.Fatal(err)
	}
	if string(ours) != standardStats || string(std) != standardStats || string(viaSonic) != standardStats {
		t.Fatalf("ours %s\nencoding/json %s\nsonic %s\nwant %s", ours, std, viaSonic, standardStats)
	}
}
