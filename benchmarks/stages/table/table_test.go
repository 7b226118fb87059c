package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.md from the current rendering")

// capturedRun is the raw output of one `just stages` run (go test -bench
// ./benchmarks/stages/ -count 10, pinned to one core).
const capturedRun = "testdata/stages-bench.txt"

func loadCaptured(t *testing.T) *run {
	t.Helper()
	f, err := os.Open(capturedRun)
	require.NoError(t, err)
	defer f.Close()
	r, err := parseRun(f)
	require.NoError(t, err)
	return r
}

func TestParseCapturedRun(t *testing.T) {
	r := loadCaptured(t)
	assert.False(t, r.failed)
	assert.Equal(t, "linux", r.context["goos"])
	assert.Equal(t, "amd64", r.context["goarch"])
	assert.NotEmpty(t, r.context["cpu"])
	lo, hi := r.counts()
	assert.Equal(t, 10, lo, "every benchmark ran -count 10 times")
	assert.Equal(t, 10, hi)
	for name, ss := range r.samples {
		assert.True(t, strings.HasPrefix(name, "Benchmark"), name)
		assert.NotRegexp(t, `-\d+$`, name, "GOMAXPROCS suffix left on")
		for _, s := range ss {
			assert.Contains(t, s, "ns/op", name)
			assert.Contains(t, s, "cpu-ns/op", name)
			assert.Contains(t, s, "allocs/op", name)
		}
	}
	// The custom metric is parsed beside the standard ones.
	_, ok := r.median("BenchmarkWholePath/pipelined16", "ns/req")
	assert.True(t, ok)
}

// The row table and the benchmarks must name the same things: a renamed
// benchmark would otherwise turn a row into "n/a" silently.
func TestRowsCoverEveryBenchmark(t *testing.T) {
	r := loadCaptured(t)
	used := map[string]bool{}
	var prev []term
	for _, rw := range rows {
		ours := rw.ours
		if len(ours) == 0 {
			require.NotNil(t, prev, "a continuation row needs a row above: %s", rw.stage)
			assert.Equal(t, rows[indexOf(rw)-1].stage, rw.stage, "a continuation row repeats its stage")
			ours = prev
		}
		prev = ours
		for _, tm := range append(append([]term{}, ours...), rw.base...) {
			name := "Benchmark" + tm.bench
			for _, cpu := range []bool{false, true} {
				unit := timeUnit(tm.unit, cpu)
				_, ok := r.median(name, unit)
				assert.True(t, ok, "row %q: %s has no %s", rw.stage, name, unit)
			}
			used[name] = true
		}
	}
	for name := range r.samples {
		assert.True(t, used[name], "benchmark %s is in no row", name)
	}
}

func indexOf(rw row) int {
	for i := range rows {
		if rows[i].stage == rw.stage && rows[i].baseline == rw.baseline {
			return i
		}
	}
	return -1
}

func TestParseLines(t *testing.T) {
	const in = `goos: linux
cpu: Test CPU @ 1GHz
BenchmarkA-2   	 100	 50.0 ns/op	 10.0 MB/s	 0 B/op	 0 allocs/op
BenchmarkA-2   	 100	 10.0 ns/op	 10.0 MB/s	 0 B/op	 0 allocs/op
BenchmarkA-2   	 100	 30.0 ns/op	 10.0 MB/s	 16 B/op	 1 allocs/op
BenchmarkB/sub16
some log line a benchmark printed
BenchmarkB/sub16
     200	 7.5 ns/op	 120 ns/req	 0 B/op	 0 allocs/op
BenchmarkB/sub16   	 200	 8.5 ns/op	 136 ns/req	 0 B/op	 0 allocs/op
PASS
ok  	example.com/x	1.0s
`
	r, err := parseRun(strings.NewReader(in))
	require.NoError(t, err)
	assert.False(t, r.failed)
	assert.Equal(t, "Test CPU @ 1GHz", r.context["cpu"])
	require.Len(t, r.samples["BenchmarkA"], 3, "the -2 suffix is stripped")
	require.Len(t, r.samples["BenchmarkB/sub16"], 2, "a split line is joined; digits in a name are kept")

	tests := []struct {
		bench, unit string
		median      float64
		worst       float64
	}{
		{"BenchmarkA", "ns/op", 30, 50},
		{"BenchmarkA", "allocs/op", 0, 1},
		{"BenchmarkB/sub16", "ns/op", 8, 8.5},
		{"BenchmarkB/sub16", "ns/req", 128, 136},
	}
	for _, tc := range tests {
		m, ok := r.median(tc.bench, tc.unit)
		require.True(t, ok, tc.bench+" "+tc.unit)
		assert.InDelta(t, tc.median, m, 1e-9, "median %s %s", tc.bench, tc.unit)
		w, ok := r.worst(tc.bench, tc.unit)
		require.True(t, ok)
		assert.InDelta(t, tc.worst, w, 1e-9, "worst %s %s", tc.bench, tc.unit)
	}
	_, ok := r.median("BenchmarkA", "ns/req")
	assert.False(t, ok, "a unit no sample has")
	_, ok = r.median("BenchmarkMissing", "ns/op")
	assert.False(t, ok)
}

func TestParseFailuresAndErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		failed  bool
		wantErr string
	}{
		{"fail line", "BenchmarkA 1 2 ns/op 0 allocs/op\n--- FAIL: BenchmarkB\nFAIL\n", true, ""},
		{"panic", "panic: boom\n", true, ""},
		{"clean", "BenchmarkA 1 2 ns/op 0 allocs/op\nPASS\n", false, ""},
		{"odd fields", "BenchmarkA 1 2 ns/op 0\n", false, "malformed"},
		{"bad number", "BenchmarkA 1 x ns/op\n", false, "value"},
		{"no ns/op", "BenchmarkA 1 2 B/op\n", false, "no ns/op"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseRun(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.failed, r.failed)
		})
	}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		name string
		l    line
		want string
	}{
		{"met", line{row: row{target: 60}, ours: 59.9, oursOK: true, allocsOK: true}, "yes"},
		{"at the bound", line{row: row{target: 60}, ours: 60, oursOK: true, allocsOK: true}, "yes"},
		{"slow", line{row: row{target: 60}, ours: 61, oursOK: true, allocsOK: true}, "NO (61.0 > 60 ns)"},
		{"allocates", line{row: row{target: 60}, ours: 10, allocs: 2, oursOK: true, allocsOK: true}, "NO (2 allocs)"},
		{"both", line{row: row{target: 5}, ours: 13.2, allocs: 1, oursOK: true, allocsOK: true}, "NO (13.2 > 5 ns, 1 allocs)"},
		{"alloc target only", line{ours: 5000, oursOK: true, allocsOK: true}, "yes"},
		{"alloc target missed", line{ours: 5, allocs: 1, oursOK: true, allocsOK: true}, "NO (1 allocs)"},
		{"missing", line{row: row{target: 60}}, "missing"},
		{"continuation", line{continued: true, ours: 100, oursOK: true, allocsOK: true}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.l.verdict())
		})
	}
}

func TestResolveSumsDerivedRows(t *testing.T) {
	const in = `BenchmarkX 1 40 ns/op 4 cpu-ns/op 0 allocs/op
BenchmarkY 1 25 ns/op 2.5 cpu-ns/op 1 allocs/op
BenchmarkBX 1 400 ns/op 40 cpu-ns/op 3 allocs/op
BenchmarkBY 1 600 ns/op 60 cpu-ns/op 2 allocs/op
`
	r, err := parseRun(strings.NewReader(in))
	require.NoError(t, err)
	table := []row{
		{stage: "x+y", ours: []term{op("X"), op("Y")}, base: []term{op("BX"), op("BY")}, target: 70},
		{stage: "x+y", base: []term{op("BX")}},
		{stage: "absent", ours: []term{op("X"), op("Nope")}, base: []term{op("BX")}},
	}
	cpuLines := resolve(r, table, true)
	assert.InDelta(t, 6.5, cpuLines[0].ours, 1e-9, "-cpu sums cpu-ns/op")
	assert.InDelta(t, 100, cpuLines[0].base, 1e-9)
	assert.InDelta(t, 1, cpuLines[0].allocs, 1e-9, "allocations do not depend on the clock")
	lines := resolve(r, table, false)
	require.Len(t, lines, 3)
	assert.InDelta(t, 65, lines[0].ours, 1e-9)
	assert.InDelta(t, 1, lines[0].allocs, 1e-9)
	assert.InDelta(t, 1000, lines[0].base, 1e-9)
	assert.InDelta(t, 5, lines[0].baseAlloc, 1e-9)
	assert.Equal(t, "NO (1 allocs)", lines[0].verdict())
	assert.True(t, lines[1].continued)
	assert.InDelta(t, 65, lines[1].ours, 1e-9, "a continuation row reuses the figures above")
	assert.Equal(t, "6.2x", ratio(&lines[1]))
	assert.False(t, lines[2].oursOK, "a sum with a missing part is missing")
	assert.Equal(t, "missing", lines[2].verdict())
	assert.Equal(t, "n/a", ratio(&lines[2]))
}

// TestRenderGolden renders the captured run, in wall and in CPU time, and
// compares each with its golden table (go test -update rewrites them after a
// deliberate change).
func TestRenderGolden(t *testing.T) {
	r := loadCaptured(t)
	for golden, cpu := range map[string]bool{"stages.golden.md": false, "stages-cpu.golden.md": true} {
		t.Run(golden, func(t *testing.T) {
			var out bytes.Buffer
			missed := render(&out, r, resolve(r, rows, cpu), cpu)
			path := filepath.Join("testdata", golden)
			if *update {
				require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, string(want), out.String())
			assert.Equal(t, strings.Count(out.String(), "| NO (")+strings.Count(out.String(), "| missing |"), missed)
			assert.NotContains(t, out.String(), "n/a", "every figure of the captured run resolves")
			assert.Equal(t, len(rows)+1, strings.Count(out.String(), "\n|"), "a rule under the header, then one line per row")
			assert.Equal(t, cpu, strings.Contains(out.String(), "| ours cpu-ns/op |"))
		})
	}
}
