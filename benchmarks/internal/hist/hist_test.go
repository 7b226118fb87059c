package hist

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// relErr is |got-want|/want, with want=0 compared absolutely.
func relErr(got, want int64) float64 {
	if want == 0 {
		return math.Abs(float64(got))
	}
	return math.Abs(float64(got-want)) / float64(want)
}

func TestSlotRangeCoversEveryValue(t *testing.T) {
	// Each value must land in the slot whose range contains it, and the
	// slot must be narrow enough for the 1% promise.
	values := []int64{0, 1, 255, 256, 257, 511, 512, 513, 1000, 1 << 20, 1<<20 + 12345, 59_999_999_999}
	for range 10_000 {
		values = append(values, rand.Int64N(60e9))
	}
	for _, v := range values {
		i := slotOf(v)
		low, width := slotRange(i)
		require.LessOrEqual(t, low, v, "value %d slot %d", v, i)
		require.Less(t, v, low+width, "value %d slot %d", v, i)
		require.LessOrEqual(t, float64(width), math.Max(1, float64(v)/subBuckets), "value %d", v)
	}
}

func TestRecordedValuesComeBackWithinOnePercent(t *testing.T) {
	// A histogram holding a single value must report it at every percentile
	// within 1% relative error, over all magnitudes it resolves.
	h := New(60e9)
	for _, v := range []int64{1, 7, 100, 255, 256, 300, 1001, 4096, 12_345, 999_999, 1e6, 3_141_592_653, 59e9} {
		h.Reset()
		h.Record(v)
		for _, p := range []float64{0, 50, 99.9} {
			assert.LessOrEqual(t, relErr(h.Percentile(p), v), 0.01, "v=%d p=%v got %d", v, p, h.Percentile(p))
		}
		assert.Equal(t, v, h.Max())
		assert.Equal(t, v, h.Min())
	}
}

func TestPercentilesOfKnownDistributions(t *testing.T) {
	type quantile struct {
		p    float64
		want int64
	}
	tests := []struct {
		name   string
		values func() []int64
		want   []quantile
	}{
		{
			name: "uniform 1..100000",
			values: func() []int64 {
				v := make([]int64, 100_000)
				for i := range v {
					v[i] = int64(i + 1)
				}
				return v
			},
			want: []quantile{{50, 50_000}, {90, 90_000}, {99, 99_000}, {99.9, 99_900}, {100, 100_000}},
		},
		{
			name: "exact small values 0..199",
			values: func() []int64 {
				v := make([]int64, 200)
				for i := range v {
					v[i] = int64(i)
				}
				return v
			},
			want: []quantile{{50, 99}, {90, 179}, {100, 199}},
		},
		{
			name: "bimodal 99% at 1ms, 1% at 1s",
			values: func() []int64 {
				v := make([]int64, 0, 10_000)
				for range 9_900 {
					v = append(v, 1e6)
				}
				for range 100 {
					v = append(v, 1e9)
				}
				return v
			},
			want: []quantile{{50, 1e6}, {99, 1e6}, {99.01, 1e9}, {99.9, 1e9}},
		},
		{
			name: "shuffled powers of ten",
			values: func() []int64 {
				var v []int64
				for _, x := range []int64{1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 5e10} {
					v = append(v, x)
				}
				rand.Shuffle(len(v), func(i, j int) { v[i], v[j] = v[j], v[i] })
				return v
			},
			want: []quantile{{10, 1e2}, {50, 1e6}, {90, 1e10}, {100, 5e10}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(60e9)
			for _, v := range tt.values() {
				h.Record(v)
			}
			for _, q := range tt.want {
				got := h.Percentile(q.p)
				assert.LessOrEqual(t, relErr(got, q.want), 0.01, "p%v: got %d want %d", q.p, got, q.want)
			}
		})
	}
}

func TestAgainstSortedReference(t *testing.T) {
	// Log-normal latencies, compared with the exact order statistic.
	rng := rand.New(rand.NewPCG(1, 2))
	values := make([]int64, 50_000)
	h := New(60e9)
	for i := range values {
		values[i] = int64(math.Exp(rng.NormFloat64()*1.5 + 11)) // around 60 µs
		h.Record(values[i])
	}
	sorted := append([]int64(nil), values...)
	slices.Sort(sorted)
	for _, p := range []float64{1, 25, 50, 75, 90, 99, 99.9, 99.99, 100} {
		rank := int(math.Ceil(p / 100 * float64(len(sorted))))
		want := sorted[max(rank, 1)-1]
		got := h.Percentile(p)
		assert.LessOrEqual(t, relErr(got, want), 0.01, "p%v: got %d want %d", p, got, want)
	}
	assert.Equal(t, sorted[len(sorted)-1], h.Max())
	assert.Equal(t, sorted[0], h.Min())
	assert.Equal(t, uint64(len(values)), h.Count())
}

func TestClampAboveHighest(t *testing.T) {
	h := New(1e6)
	h.Record(5e9)
	h.Record(-3)
	assert.Equal(t, int64(5e9), h.Max(), "Max stays exact above the range")
	assert.Equal(t, int64(0), h.Min(), "negative values count as 0")
	assert.LessOrEqual(t, relErr(h.Percentile(100), 5e9), 0.01)
	assert.Equal(t, int64(0), h.Percentile(10))
}

func TestMergeAndReset(t *testing.T) {
	a, b := New(60e9), New(60e9)
	for i := int64(1); i <= 1000; i++ {
		a.Record(i)
		b.Record(i + 1000)
	}
	a.Merge(b)
	assert.Equal(t, uint64(2000), a.Count())
	assert.Equal(t, int64(1), a.Min())
	assert.Equal(t, int64(2000), a.Max())
	assert.LessOrEqual(t, relErr(a.Percentile(50), 1000), 0.01)
	assert.InDelta(t, 1000.5, a.Mean(), 1e-9)

	a.Merge(New(60e9)) // merging an empty one changes nothing
	assert.Equal(t, uint64(2000), a.Count())
	assert.Equal(t, int64(1), a.Min())

	a.Reset()
	assert.Equal(t, uint64(0), a.Count())
	assert.Equal(t, int64(0), a.Percentile(50))
	assert.Equal(t, int64(0), a.Max())
	assert.Equal(t, 0.0, a.Mean())

	assert.Panics(t, func() { a.Merge(New(1e3)) })
}
