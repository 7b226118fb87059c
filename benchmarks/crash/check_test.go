package main

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// restoredAs is the /stats a daemon shows after counting, on top of before, the first
// k[c] events of each connection (every one a new user).
func restoredAs(before counters, conns []connResult, k []uint64) counters {
	after := before
	for c, r := range conns {
		after.Total += k[c]
		after.Users += k[c]
		after.SumNanos += prefix(c, r.Sign, k[c])
	}
	return after
}

func TestPrefixAlternates(t *testing.T) {
	for _, sign := range []int64{1, -1} {
		for c := range 5 {
			var sum int64
			for j := uint64(0); j < 9; j++ {
				assert.Equal(t, sum, prefix(c, sign, j), "c=%d sign=%d k=%d", c, sign, j)
				sum += prefix(c, sign, j+1) - prefix(c, sign, j) // event j's value
				assert.Contains(t, []int64{1 << c, -(1 << c)}, prefix(c, sign, j+1)-prefix(c, sign, j))
			}
		}
	}
	assert.Equal(t, int64(-1), nextSign(1))
	assert.Equal(t, int64(1), nextSign(0))
}

func TestCheckRoundAcceptsDurableOutcomes(t *testing.T) {
	before := counters{Total: 1000, Users: 1000, SumNanos: 1<<1 | 1<<4}
	conns := []connResult{
		{Sign: 1, Sent: 7, Acked: 7},   // nothing in flight
		{Sign: -1, Sent: 5, Acked: 4},  // in flight, acked even
		{Sign: 1, Sent: 4, Acked: 3},   // in flight, acked odd
		{Sign: 1, Sent: 1, Acked: 0},   // in flight, nothing acked
		{Sign: -1, Sent: 10, Acked: 9}, // in flight
	}
	acked := []uint64{7, 4, 3, 0, 9}
	for _, tc := range []struct {
		name string
		kept []int // connections whose in-flight event the daemon kept
	}{
		{"only the acknowledged", nil},
		{"one in flight", []int{2}},
		{"some in flight", []int{1, 3}},
		{"every in flight", []int{1, 2, 3, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := append([]uint64(nil), acked...)
			for _, c := range tc.kept {
				k[c]++
			}
			v := checkRound(before, restoredAs(before, conns, k), conns)
			require.True(t, v.OK(), "%v", v.Problems)
			assert.Equal(t, tc.kept, v.Counted)
			assert.Equal(t, uint64(len(tc.kept)), v.InFlightCounted)
			assert.Zero(t, v.Lost)
			assert.Equal(t, uint64(23), v.Acked)
			assert.Equal(t, uint64(27), v.Sent)
		})
	}
}

func TestCheckRoundRejects(t *testing.T) {
	before := counters{Total: 50, Users: 50, SumNanos: 1 << 2}
	conns := []connResult{
		{Sign: 1, Sent: 6, Acked: 5},
		{Sign: -1, Sent: 3, Acked: 3},
		{Sign: -1, Sent: 8, Acked: 7},
		{Sign: 1, Sent: 2, Acked: 1},
	}
	good := restoredAs(before, conns, []uint64{5, 3, 7, 1})
	for _, tc := range []struct {
		name  string
		after counters
		lost  uint64
	}{
		// One acknowledged event of connection 0 lost, connection 2's in-flight event
		// kept: the count is what was acknowledged, only the sum tells.
		{"lost one, kept another in flight", restoredAs(before, conns, []uint64{4, 3, 8, 1}), 1},
		// Two lost on connection 1 leave its sum as it was; two kept in flight make up
		// the count, and the sum names them.
		{"lost two, kept two in flight", restoredAs(before, conns, []uint64{5, 1, 8, 2}), 1}, // at least 1
		{"lost a tail", restoredAs(before, conns, []uint64{5, 3, 4, 1}), 3},
		{"lost everything since the last checkpoint", before, 16},
		{"counted beyond what was sent", restoredAs(before, conns, []uint64{6, 4, 8, 2}), 0},
		{"an event counted twice", counters{Total: good.Total + 1, Users: good.Users, SumNanos: good.SumNanos + 1}, 0},
		{"users without events", counters{Total: good.Total, Users: good.Users + 1, SumNanos: good.SumNanos}, 0},
		{"a sum no in-flight set explains", counters{Total: good.Total + 1, Users: good.Users + 1, SumNanos: good.SumNanos + 1<<1}, 1},
		{"a sum beyond every connection", counters{Total: good.Total, Users: good.Users, SumNanos: good.SumNanos + 1<<4}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := checkRound(before, tc.after, conns)
			assert.False(t, v.OK(), "accepted %+v", tc.after)
			assert.Equal(t, tc.lost, v.Lost, "%v", v.Problems)
		})
	}
}

// TestCheckRoundIsExactOnPrefixes tries every prefix cut of what was sent, from three
// events short of the acknowledged ones, on random rounds: the check passes exactly when
// each connection kept at least its acknowledged events, and then names the in-flight
// ones it kept; otherwise it reports a loss. (Cuts beyond what was sent would be events
// the daemon invented; TestCheckRoundRejects covers the totals that show them.)
func TestCheckRoundIsExactOnPrefixes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 5
	for round := range 200 {
		conns := make([]connResult, n)
		held := make([]int64, n)
		var before counters
		for c := range conns {
			if rng.IntN(2) == 1 {
				held[c] = 1 << c
			}
			before.SumNanos += held[c]
			a := uint64(rng.IntN(6))
			conns[c] = connResult{Sign: nextSign(held[c]), Acked: a, Sent: a + uint64(rng.IntN(2))}
		}
		before.Total, before.Users = 100, 100
		k := make([]uint64, n)
		var try func(c int)
		try = func(c int) {
			if c == n {
				v := checkRound(before, restoredAs(before, conns, k), conns)
				durable, kept := true, []int(nil)
				for i, r := range conns {
					durable = durable && k[i] >= r.Acked
					if k[i] > r.Acked && k[i] <= r.Sent {
						kept = append(kept, i)
					}
				}
				require.Equal(t, durable, v.OK(), "round %d: %+v kept %v: %v", round, conns, k, v.Problems)
				if durable {
					require.Equal(t, kept, v.Counted)
					after := heldAfter(held, conns, v)
					for i := range after {
						require.Contains(t, []int64{0, 1 << i}, after[i], "index %d holds what it should not", i)
					}
				}
				if !durable {
					require.NotZero(t, v.Lost, "round %d: %+v kept %v", round, conns, k)
				}
				return
			}
			lo := uint64(0)
			if conns[c].Acked > 3 {
				lo = conns[c].Acked - 3
			}
			for k[c] = lo; k[c] <= conns[c].Sent; k[c]++ {
				try(c + 1)
			}
		}
		try(0)
	}
}

func TestCheckRoundPanicsOnTwoInFlight(t *testing.T) {
	assert.PanicsWithValue(t, "BUG: connection 0 sent 3 with 1 acknowledged: one request in flight at most", func() {
		checkRound(counters{}, counters{}, []connResult{{Sign: 1, Sent: 3, Acked: 1}})
	})
}

func TestSumNanos(t *testing.T) {
	for text, want := range map[string]int64{
		"0":                  0,
		"1e-9":               1,
		"0.000000005":        5,
		"-0.000000012":       -12,
		"1125899.906842623":  1<<50 - 1,
		"1125899.9068426232": 1<<50 - 1, // a float64 rendering a hair off the integer
		"562949.953421312":   1 << 49,
		"3":                  3_000_000_000,
	} {
		got, err := sumNanos(text)
		require.NoError(t, err, text)
		assert.Equal(t, want, got, text)
	}
	for _, text := range []string{"0.0000000005", "1.0000000004e0", "2251799.813685248", "1e300", "abc", ""} {
		_, err := sumNanos(text)
		assert.Error(t, err, text)
	}
	// Every value this harness sends renders and reads back exactly, and so does
	// every float64 /stats can show for a sum of them.
	for c := range maxConns {
		for _, n := range []int64{1 << c, -(1 << c), 1<<(c+1) - 1} {
			got, err := sumNanos(nanoText(n))
			require.NoError(t, err)
			require.Equal(t, n, got)
			f := strconv.FormatFloat(float64(n)/1e9, 'f', -1, 64)
			got, err = sumNanos(f)
			require.NoError(t, err, f)
			require.Equal(t, n, got, f)
		}
	}
}

func TestAppendEventBody(t *testing.T) {
	assert.Equal(t, `{"userId":"crash_ab_always_3_7_12","value":-0.000000128}`,
		string(appendEventBody(nil, "ab_always_3", 7, 12, -128)))
	assert.Equal(t, `{"userId":"crash_x_0_0","value":562949.953421312}`,
		string(appendEventBody(nil, "x", 0, 0, 1<<49)))
}

func TestParseStats(t *testing.T) {
	c, err := parseStats([]byte(`{"totalRequests":3,"uniqueUsers":3,"sum":0.000000007,"avg":0.000000002}`))
	require.NoError(t, err)
	assert.Equal(t, counters{Total: 3, Users: 3, SumNanos: 7}, c)
	for _, body := range []string{`{"totalRequests":3,"uniqueUsers":3}`, `{"totalRequests":-1,"uniqueUsers":3,"sum":0}`, `[]`} {
		_, err := parseStats([]byte(body))
		assert.Error(t, err, body)
	}
}
