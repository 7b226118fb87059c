package stages

import (
	"testing"
	"time"
)

// On a shared machine a benchmark's wall time also counts the time other
// processes held its core. cpuMeter adds figures that count only the CPU
// time of this process (user + system, every thread: the benchmark, the GC
// and, for BenchmarkSend, the peer's reads and the kernel's loopback work):
// cpu-ns/op, and cpu-ns/req for benchmarks of several requests per op.
//
// b.Loop runs the benchmark function once per -count and sets b.N to the
// iterations run when it ends, so a meter started just before the loop and
// reported after it covers exactly those iterations.
type cpuMeter struct {
	start time.Duration
	ok    bool
}

// startCPU reads the process CPU time; call it after setup, just before the
// b.Loop loop.
func startCPU() cpuMeter {
	d, ok := processCPU()
	return cpuMeter{start: d, ok: ok}
}

// report adds cpu-ns/op over the b.N iterations of the finished b.Loop
// loop. When reqsPerOp > 0 each op served that many requests, and it adds
// ns/req (wall) and cpu-ns/req as well. The cpu figures are left out where
// the platform has no process CPU clock.
func (m cpuMeter) report(b *testing.B, reqsPerOp int) {
	if b.N == 0 {
		return
	}
	if reqsPerOp > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*reqsPerOp), "ns/req")
	}
	end, ok := processCPU()
	if !m.ok || !ok {
		return
	}
	perOp := float64(end-m.start) / float64(b.N)
	b.ReportMetric(perOp, "cpu-ns/op")
	if reqsPerOp > 0 {
		b.ReportMetric(perOp/float64(reqsPerOp), "cpu-ns/req")
	}
}
