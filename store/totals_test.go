package store

import (
	"math/big"
	"testing"

	"github.com/onemrc/onemrc/decimal"
	"github.com/onemrc/onemrc/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Snapshot plus Totals answers what a Snapshot of the exact merged sum answers, and
// a slow sum on both sides is converted once, not once per answer.
func TestTotalsAddTo(t *testing.T) {
	tests := []struct {
		name        string
		local       []string // values recorded locally
		other       string   // the other nodes' exact sum
		otherCount  uint64
		conversions int // per answer with a new Small value, after the first
	}{
		{"nothing", nil, "0", 0, 0},
		{"small both", []string{"1.5", "2"}, "-7.25", 3, 0},
		{"slow local", []string{"1e300", "2"}, "1.5", 2, 0},
		{"slow other", []string{"2"}, "1.7e308", 1, 0},
		{"slow both", wideSlowValues, "-1.77e-310", 5, 0},
		{"slow both cancelling", []string{"1e300"}, "-1e300", 1, 0},
		{"other beyond nanos", []string{"3"}, "1e30", 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Options{})
			sh := s.NewShard()
			for _, v := range tc.local {
				sh.Record(&event.Event{UserID: []byte("u"), Value: textValue(v)})
			}
			sh.Publish()
			other := decimalOf(t, tc.other)
			others := NewTotals(tc.otherCount, other)

			answer := func() string {
				local := s.Snapshot()
				snap := others.AddTo(&local)
				got := string(AppendStats(nil, &snap))
				// The reference: both exact sums merged into one decimal.
				ref := SnapshotOf(local.TotalRequests+tc.otherCount, local.UniqueUsers, local.SumDecimal().Add(other))
				require.Equal(t, refStats(t, &ref), got)
				return got
			}
			answer()
			before := slowRoundings.Load()
			for i := range 20 {
				sh.Record(&event.Event{UserID: []byte("u"), Value: smallValue(int64(i) * 333_333_333)})
				sh.Publish()
				answer()
			}
			assert.Equal(t, 20*tc.conversions, int(slowRoundings.Load()-before))
		})
	}
}

// Small sums whose total leaves int128 are still added exactly.
func TestTotalsAddToBeyondInt128(t *testing.T) {
	local := Snapshot{TotalRequests: 2, nanos: int128{hi: 1<<63 - 1, lo: 5}}
	others := NewTotals(1, decimal.New(new(big.Int).Lsh(big.NewInt(1), 125), -event.NanoDigits)) // 2^125 nanounits
	require.False(t, others.nanos.isZero(), "the other side is Small")
	snap := others.AddTo(&local)
	want := new(big.Rat).Add(local.SumRat(), new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 125), big.NewInt(nanosPerUnit)))
	assert.Equal(t, want.RatString(), snap.SumRat().RatString())
	assert.Equal(t, uint64(3), snap.TotalRequests)
	assert.Equal(t, refStats(t, &snap), string(AppendStats(nil, &snap)))
}
