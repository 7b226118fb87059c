package store

import (
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/onemrc/onemrc/decimal"
	"github.com/onemrc/onemrc/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The values of issue 9: legal, accepted by POST /event, and the widest slow sum there
// is (one near float64's top, one of 500 digits near its bottom).
var wideSlowValues = []string{"1.7e308", "1.7" + strings.Repeat("7", 495) + "e-310"}

// /stats converts the slow sum to binary once per change of the slow sum, not once per
// answer: N answers with no new slow value in between cost no conversion, whatever else
// happens between them.
func TestStatsConvertsTheSlowSumOncePerChange(t *testing.T) {
	tests := []struct {
		name    string
		between func(a, b *Shard)
		convert uint64 // conversions per answer
	}{
		{"nothing new", func(a, b *Shard) {}, 0},
		{"a Small value", func(a, b *Shard) { a.Record(&event.Event{UserID: []byte("u"), Value: smallValue(1)}) }, 0},
		{"a Small value on each loop", func(a, b *Shard) {
			a.Record(&event.Event{UserID: []byte("u"), Value: smallValue(-7)})
			b.Record(&event.Event{UserID: []byte("v"), Value: smallValue(123_456_789_012)})
		}, 0},
		{"a slow value", func(a, b *Shard) { b.Record(&event.Event{UserID: []byte("v"), Value: textValue("1e-300")}) }, 1},
		{"slow values cancelling in the batch", func(a, b *Shard) {
			b.Record(&event.Event{UserID: []byte("v"), Value: textValue("1e300")})
			b.Record(&event.Event{UserID: []byte("v"), Value: textValue("-1e300")})
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Options{})
			a, b := s.NewShard(), s.NewShard()
			for _, text := range wideSlowValues {
				a.Record(&event.Event{UserID: []byte("u"), Value: textValue(text)})
			}
			a.Publish()
			var buf []byte
			stats := func() {
				a.Publish()
				b.Publish()
				snap := s.Snapshot()
				buf = AppendStats(buf[:0], &snap)
				snap.Sum()
				snap.Avg()
			}
			stats()
			const answers = 50
			before := slowRoundings.Load()
			for range answers {
				tc.between(a, b)
				stats()
			}
			assert.Equal(t, int(tc.convert*answers), int(slowRoundings.Load()-before), "conversions of the slow sum in %d answers", answers)

			// And the answer is still the exact sum, rounded once.
			snap := s.Snapshot()
			assert.Equal(t, refStats(t, &snap), string(buf))
		})
	}
}

// refStats is the /stats body computed from the exact rational sum, as AppendStats did
// before slow sums were converted once: the reference.
func refStats(t testing.TB, s *Snapshot) string {
	sum := s.SumRat()
	dst := []byte(`{"totalRequests":` + strconv.FormatUint(s.TotalRequests, 10) + `,"uniqueUsers":` + strconv.FormatUint(s.UniqueUsers, 10) + `,"sum":`)
	dst = appendRefRat(dst, sum)
	dst = append(dst, `,"avg":`...)
	if s.TotalRequests == 0 {
		dst = append(dst, '0')
	} else {
		dst = appendRefRat(dst, sum.Quo(sum, new(big.Rat).SetUint64(s.TotalRequests)))
	}
	return string(append(dst, '}'))
}

func appendRefRat(dst []byte, r *big.Rat) []byte {
	if f, _ := r.Float64(); !math.IsInf(f, 0) {
		return appendJSONFloat(dst, f)
	}
	return new(big.Float).SetPrec(53).SetRat(r).Append(dst, 'e', -1)
}

// The sum and average from the converted slow sum are those of the exact rational sum,
// rounded once, over slow sums of every scale and size, Small sums that cancel their
// integer part (or all of it), ties, and sums beyond float64 range.
func TestSlowStatsMatchExactRational(t *testing.T) {
	tests := []struct {
		slow  string
		nanos int128
		total uint64
	}{
		{"1.7e308", int128{}, 1},
		{wideSlowValues[1], int128{}, 1},
		{wideSlowValues[1], nanosOf(-1), 3},
		{"9007199254740993", int128{}, 1},    // 2^53+1: a tie, to even
		{"9007199254740995", int128{}, 1},    // 2^53+3: a tie, to even (up)
		{"2.5", nanosOf(-2), 2},              // 0.5
		{"2.5", nanosInt(-2_500_000_000), 7}, // exactly zero: 0, never -0
		{"-2.5", nanosOf(2), 1},
		{"1e-300", nanosOf(-1), 1},     // 1 - tiny: Z = -1
		{"-1e-300", nanosOf(1), 1},     // the same, negated
		{"-1e-300", int128{}, 1 << 40}, // only the fraction
		{"0.9999999999", int128{}, 1},  // Z = 0
		{"-0.0000000001", int128{}, 1}, // Z = -1
		{"4.9e-324", int128{}, 1},      // subnormal
		{"7.4e-324", int128{}, 3},      // subnormal average, rounded once
		{"3.5e308", int128{}, 1},       // beyond float64
		{"-3.5e308", int128{}, 2},      // beyond, its average not
		{"1e-9", int128{}, 0},          // no events (SnapshotOf can make one)
		{"123456789012345678901234567890.123456789", int128{hi: 1 << 62}, math.MaxUint64},
	}
	for _, tc := range tests {
		t.Run(tc.slow, func(t *testing.T) {
			snap := Snapshot{TotalRequests: tc.total, nanos: tc.nanos, slow: newSlowSum(decimalOf(t, tc.slow), 0)}
			assert.Equal(t, refStats(t, &snap), string(AppendStats(nil, &snap)))
			wantSum, _ := snap.SumRat().Float64()
			assert.Equal(t, math.Float64bits(wantSum), math.Float64bits(snap.Sum()))
		})
	}

	r := rand.New(rand.NewPCG(11, 12))
	for i := range 20_000 {
		// A decimal of 1 to 60 digits at any scale the store can hold.
		digits := make([]byte, 1+r.IntN(60))
		for j := range digits {
			digits[j] = byte('0' + r.IntN(10))
		}
		digits[0] = byte('1' + r.IntN(9))
		exp := r.IntN(610) - 320 - len(digits)
		text := string(digits) + "e" + strconv.Itoa(exp)
		if r.IntN(2) == 0 {
			text = "-" + text
		}
		snap := Snapshot{TotalRequests: r.Uint64N(1<<40) + 1, slow: newSlowSum(decimalOf(t, text), 0)}
		switch i % 4 {
		case 0: // no Small sum
		case 1:
			snap.nanos = int128{hi: r.Uint64() >> r.UintN(65), lo: r.Uint64()}
		case 2: // a Small sum that cancels the integer part of the slow one, give or take
			if n, ok := toNanos(decimal.New(truncated(snap.slow), -event.NanoDigits)); ok {
				snap.nanos = n
				snap.nanos.addInt64(-r.Int64N(3) + 1)
			}
		case 3:
			snap.TotalRequests = r.Uint64()
		}
		require.Equal(t, refStats(t, &snap), string(AppendStats(nil, &snap)), "%s + %#v over %d", text, snap.nanos, snap.TotalRequests)
	}
}

// nanosInt returns v nanounits as an int128.
func nanosInt(v int64) int128 {
	var x int128
	x.addInt64(v)
	return x
}

// truncated returns minus the integer part of s in nanounits.
func truncated(s *slowSum) *big.Int {
	n := new(big.Int).Set(s.dec.Mant())
	if e := s.dec.Scale() + event.NanoDigits; e >= 0 {
		n.Mul(n, decimal.Pow10(e))
	} else {
		n.Quo(n, decimal.Pow10(-e))
	}
	return n.Neg(n)
}

// What AppendStats writes for a slow sum is still valid JSON that encoding/json reads
// back as the same numbers.
func TestSlowStatsAreJSON(t *testing.T) {
	for _, text := range []string{"1.5e-300", "-7.25e200", "0.1234567891"} {
		snap := Snapshot{TotalRequests: 3, UniqueUsers: 2, nanos: nanosOf(5), slow: newSlowSum(decimalOf(t, text), 0)}
		want, err := json.Marshal(statsJSON{3, 2, snap.Sum(), snap.Avg()})
		require.NoError(t, err)
		assert.Equal(t, string(want), string(AppendStats(nil, &snap)), text)
	}
}
