package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSumOfValues(t *testing.T) {
	for _, n := range []int64{0, 1, 2, 999, 1000, 1001, 2500, 75000, 123457} {
		var want int64
		for i := range n {
			want += i % valueModulus
		}
		assert.Equal(t, want, sumOfValues(n), "n=%d", n)
	}
	assert.Equal(t, int64(499500000), sumOfValues(1000000), "the challenge's own total")
}

func TestExpectedFigures(t *testing.T) {
	cases := []struct {
		name      string
		rep       wrkReport
		sum, user int64
	}{
		{"nothing sent", wrkReport{Depth: 1, Threads: []wrkThread{{}}}, 0, 0},
		{"one thread, part of a cycle", wrkReport{Depth: 1, Threads: []wrkThread{{First: 0, Calls: 1500}}},
			sumOfValues(1500), 1500},
		{"pipelined calls count depth requests", wrkReport{Depth: 16, Threads: []wrkThread{{First: 0, Calls: 10}}},
			sumOfValues(160), 160},
		{"more than one user cycle", wrkReport{Depth: 1, Threads: []wrkThread{{First: 0, Calls: 160000}}},
			sumOfValues(160000), userModulus},
		{"second thread offset wraps the users", wrkReport{Depth: 1, Threads: []wrkThread{
			{First: 0, Calls: 100}, {First: 1e9, Calls: 100}}},
			// 1e9 % 75000 = 25000: users 25000..25099, disjoint from 0..99;
			// 1e9 % 1000 = 0: the same values 0..99 again.
			2 * sumOfValues(100), 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sum, users := expectedFigures(tc.rep)
			assert.Equal(t, tc.sum, sum)
			assert.Equal(t, tc.user, users)
		})
	}
}

func TestCheckStats(t *testing.T) {
	// wrk generated 2000 requests on one thread, read 1990 responses, 100
	// connections, no pipelining: indices 0..1999, values i%1000.
	rep := wrkReport{Requests: 1990, Depth: 1, Threads: []wrkThread{{First: 0, Calls: 2000}}}
	genSum := sumOfValues(2000) // 999000
	cases := []struct {
		name    string
		rep     wrkReport
		st      serverStats
		verdict string
	}{
		{"every generated request counted", rep,
			serverStats{TotalRequests: 2000, UniqueUsers: 2000, Sum: float64(genSum), Avg: float64(genSum) / 2000}, verdictExact},
		{"seven in flight, values 993..999 missing", rep,
			serverStats{TotalRequests: 1993, UniqueUsers: 1993, Sum: float64(genSum - (993 + 994 + 995 + 996 + 997 + 998 + 999)),
				Avg: float64(genSum-6972) / 1993}, verdictConsistent},
		{"lost an answered event", rep,
			serverStats{TotalRequests: 1989, UniqueUsers: 1989, Sum: float64(genSum - 1000), Avg: float64(genSum-1000) / 1989}, verdictFail},
		{"counted more than was sent", rep,
			serverStats{TotalRequests: 2001, UniqueUsers: 2000, Sum: float64(genSum), Avg: float64(genSum) / 2001}, verdictFail},
		{"sum larger than anything sent", rep,
			serverStats{TotalRequests: 2000, UniqueUsers: 2000, Sum: float64(genSum + 1), Avg: float64(genSum+1) / 2000}, verdictFail},
		{"sum missing more than the in-flight can carry", rep,
			serverStats{TotalRequests: 1999, UniqueUsers: 1999, Sum: float64(genSum - 1000), Avg: float64(genSum-1000) / 1999}, verdictFail},
		{"sum not an integer", rep,
			serverStats{TotalRequests: 2000, UniqueUsers: 2000, Sum: float64(genSum) + 0.5, Avg: (float64(genSum) + 0.5) / 2000}, verdictFail},
		{"users double counted", rep,
			serverStats{TotalRequests: 2000, UniqueUsers: 2001, Sum: float64(genSum), Avg: float64(genSum) / 2000}, verdictFail},
		{"users lost", rep,
			serverStats{TotalRequests: 2000, UniqueUsers: 1999, Sum: float64(genSum), Avg: float64(genSum) / 2000}, verdictFail},
		{"avg not sum over total", rep,
			serverStats{TotalRequests: 2000, UniqueUsers: 2000, Sum: float64(genSum), Avg: 499}, verdictFail},
		{"over the connection window", wrkReport{Requests: 10, Depth: 1, Threads: []wrkThread{{Calls: 2000}}},
			serverStats{TotalRequests: 2000, UniqueUsers: 2000, Sum: float64(genSum), Avg: float64(genSum) / 2000}, verdictFail},
		{"error statuses are not counted", wrkReport{Requests: 10, Depth: 1, Errors: wrkErrors{Status: 10}, Threads: []wrkThread{{Calls: 10}}},
			serverStats{}, verdictConsistent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := checkStats(tc.rep, tc.st, 100)
			require.Equal(t, tc.verdict, c.Verdict, "problems: %v", c.Problems)
			if tc.verdict == verdictFail {
				assert.NotEmpty(t, c.Problems)
				assert.Contains(t, c.String(), "FAIL: ")
			} else {
				assert.Empty(t, c.Problems)
				assert.Equal(t, c.Generated-tc.st.TotalRequests, c.InFlight)
			}
		})
	}
}
