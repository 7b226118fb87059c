package store

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onemrc/onemrc/decimal"
	"github.com/onemrc/onemrc/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// statsJSON is the /stats object as encoding/json would write it: the
// reference for AppendStats.
type statsJSON struct {
	TotalRequests uint64  `json:"totalRequests"`
	UniqueUsers   uint64  `json:"uniqueUsers"`
	Sum           float64 `json:"sum"`
	Avg           float64 `json:"avg"`
}

func marshalFloat(t testing.TB, f float64) string {
	b, err := json.Marshal(f)
	require.NoError(t, err)
	return string(b)
}

func TestAppendJSONFloatGolden(t *testing.T) {
	tenth, fifth := 0.1, 0.2 // variables: constant arithmetic would be exact
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{499500000, "499500000"},
		{499.5, "499.5"},
		{500, "500"},
		{500000000, "500000000"},
		{-1.5, "-1.5"},
		{0.1, "0.1"},
		{tenth + fifth, "0.30000000000000004"},
		{1e-6, "0.000001"},
		{1e-7, "1e-7"},
		{1.5e-7, "1.5e-7"},
		{1e-10, "1e-10"},
		{1e20, "100000000000000000000"},
		{1e21, "1e+21"},
		{123456789e20, "1.23456789e+28"},
		{1 << 53, "9007199254740992"},
		{1<<53 + 2, "9007199254740994"},
		{-(1 << 53), "-9007199254740992"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.SmallestNonzeroFloat64, "5e-324"},
		{-1e300, "-1e+300"},
	}
	for _, tc := range tests {
		got := string(appendJSONFloat(nil, tc.f))
		assert.Equal(t, tc.want, got, "%v", tc.f)
		assert.Equal(t, marshalFloat(t, tc.f), got, "%v vs encoding/json", tc.f)
	}
}

func TestAppendJSONFloatMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	check := func(f float64) {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return
		}
		require.Equal(t, marshalFloat(t, f), string(appendJSONFloat(nil, f)), "%v (%#x)", f, math.Float64bits(f))
	}
	for range 100_000 {
		check(math.Float64frombits(r.Uint64()))     // every exponent
		check(float64(r.Int64N(1<<54)-1<<53) / 1e9) // sums of nanounits
		check(float64(r.Int64N(2e6)) / 4)           // whole and half units
		check(math.Ldexp(1, r.IntN(2000)-1000))     // powers of two around every boundary
	}
	for _, b := range []float64{1e-6, 1e21, 1 << 53} { // the format switches
		for _, f := range []float64{b, math.Nextafter(b, 0), math.Nextafter(b, math.Inf(1))} {
			check(f)
			check(-f)
		}
	}
}

func FuzzAppendJSONFloat(f *testing.F) {
	for _, v := range []float64{0, 499.5, 1e21, 1e-7, math.MaxFloat64, 1 << 53} {
		f.Add(math.Float64bits(v))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		v := math.Float64frombits(bits)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Skip("not JSON")
		}
		want, err := json.Marshal(v)
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendJSONFloat(nil, v)))
	})
}

func TestAppendStatsEmptyStore(t *testing.T) {
	s := New(Options{})
	s.NewShard()
	snap := s.Snapshot()
	assert.Equal(t, `{"totalRequests":0,"uniqueUsers":0,"sum":0,"avg":0}`, string(AppendStats(nil, &snap)))
	var zero Snapshot
	assert.Equal(t, `{"totalRequests":0,"uniqueUsers":0,"sum":0,"avg":0}`, string(AppendStats(nil, &zero)), "the zero Snapshot")
}

func TestAppendStatsAppends(t *testing.T) {
	snap := Snapshot{TotalRequests: 2, UniqueUsers: 1, nanos: nanosOf(3)}
	got := AppendStats([]byte("HTTP body: "), &snap)
	assert.Equal(t, `HTTP body: {"totalRequests":2,"uniqueUsers":1,"sum":3,"avg":1.5}`, string(got))
}

// AppendStats writes what json.Marshal writes for the same numbers, for
// random totals, including sums that take the division and big paths.
func TestAppendStatsMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 20_000 {
		snap := Snapshot{TotalRequests: r.Uint64N(1 << 40), nanos: int128{lo: r.Uint64()}}
		snap.UniqueUsers = r.Uint64N(snap.TotalRequests + 1)
		if i%2 == 0 {
			snap.nanos.hi = r.Uint64() >> r.UintN(65) // sign and width vary
		}
		if i%100 == 0 {
			snap.slow = newSlowSum(decimalOf(t, "1.5e-300"), 0)
		}
		want, err := json.Marshal(statsJSON{snap.TotalRequests, snap.UniqueUsers, snap.Sum(), snap.Avg()})
		require.NoError(t, err)
		require.Equal(t, string(want), string(AppendStats(nil, &snap)))
	}
}

func decimalOf(t testing.TB, text string) *decimal.Decimal {
	t.Helper()
	var d decimal.Decimal
	addText(&d, []byte(text))
	return &d
}

// A sum past float64 range is still written, exactly rounded to 53 bits,
// as valid JSON (encoding/json refuses +Inf).
func TestAppendStatsBeyondFloat64(t *testing.T) {
	s := New(Options{})
	sh := s.NewShard()
	for _, text := range []string{"1.7976931348623157e308", "1.7976931348623157e308", "1e308"} {
		sh.Record(&event.Event{UserID: []byte("big"), Value: event.Value{Text: []byte(text)}})
	}
	sh.Publish()
	snap := s.Snapshot()
	assert.True(t, math.IsInf(snap.Sum(), 1))
	got := AppendStats(nil, &snap)
	assert.Equal(t, `{"totalRequests":3,"uniqueUsers":1,"sum":4.595386269724631e+308,"avg":1.5317954232415438e+308}`, string(got))
	var decoded map[string]json.Number
	require.NoError(t, json.Unmarshal(got, &decoded), "still valid JSON")
}
