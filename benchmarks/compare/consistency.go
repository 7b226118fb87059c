package main

import (
	"fmt"
	"math"
	"strings"
)

// The request pattern of benchmarks/wrk/common.lua: request index i carries
// userId "user_"+(i%userModulus) and value i%valueModulus.
const (
	userModulus  = 75000
	valueModulus = 1000
)

// serverStats is a peer's /stats document.
type serverStats struct {
	TotalRequests int64   `json:"totalRequests"`
	UniqueUsers   int64   `json:"uniqueUsers"`
	Sum           float64 `json:"sum"`
	Avg           float64 `json:"avg"`
}

// Verdicts of a consistency check.
const (
	verdictExact      = "exact"      // every request wrk generated was counted, figures equal
	verdictConsistent = "consistent" // counts lie in the proven bounds, the gap is in flight
	verdictFail       = "FAIL"       // a bound is broken: something lost or double counted
	verdictNone       = "n/a"        // the peer has no /stats (nginx)
)

// statsCheck is the outcome of comparing /stats with what wrk sent.
type statsCheck struct {
	Verdict string `json:"verdict"`
	// Generated is G: requests wrk built and began to write.
	Generated int64 `json:"generated"`
	// InFlight is G - totalRequests: written (perhaps partly) but not
	// counted when wrk stopped; at most connections*depth when wrk saw no
	// socket error.
	InFlight int64 `json:"inFlight"`
	// ExpectedSum and ExpectedUsers are the sum of values and the distinct
	// users over all G generated requests.
	ExpectedSum   int64    `json:"expectedSum"`
	ExpectedUsers int64    `json:"expectedUsers"`
	Problems      []string `json:"problems,omitempty"`
}

// sumOfValues is the sum of i%valueModulus over 0 <= i < n.
func sumOfValues(n int64) int64 {
	const perCycle = valueModulus * (valueModulus - 1) / 2
	r := n % valueModulus
	return n/valueModulus*perCycle + r*(r-1)/2
}

// expectedFigures returns the sum of values and the number of distinct users
// over every request the report says wrk generated.
func expectedFigures(rep wrkReport) (sum, users int64) {
	seen := make([]bool, userModulus)
	for _, t := range rep.Threads {
		n := t.Calls * rep.Depth
		sum += sumOfValues(t.First+n) - sumOfValues(t.First)
		for k := int64(0); k < min(n, userModulus); k++ {
			seen[(t.First+k)%userModulus] = true
		}
	}
	for _, s := range seen {
		if s {
			users++
		}
	}
	return sum, users
}

// checkStats decides whether /stats read after a wrk run is consistent with
// what wrk sent and received, for a run with `conns` connections.
//
// What "exact" means here. wrk stops its loops without draining them, so
// requests in flight at the stop (sent, perhaps only in part, response not
// read) may or may not have been counted; no black-box check can tell which.
// The script reports G, the requests it generated, so with T the server's
// totalRequests, C the responses wrk read and E those with status > 399:
//
//	C - E <= T <= G           nothing answered 2xx is lost, nothing unsent is counted
//	T <= C + conns*depth      at most one window per connection is in flight
//	G - T = m                 the m uncounted requests are some of those generated, so
//	S in [Sg - 999*m, Sg]     the sum lacks m values, each in [0, 999]
//	U in [Ug - m, Ug]         and at most m users can be missing
//	avg = S / T               to 1e-9 relative
//
// where Sg and Ug are the sum and distinct users over all G. When m = 0 the
// bounds collapse and T, S, U must equal G, Sg, Ug exactly: verdict "exact".
// Otherwise a run that satisfies every bound is "consistent".
func checkStats(rep wrkReport, st serverStats, conns int64) statsCheck {
	c := statsCheck{Generated: rep.generated()}
	c.ExpectedSum, c.ExpectedUsers = expectedFigures(rep)
	c.InFlight = c.Generated - st.TotalRequests
	fail := func(format string, args ...any) {
		c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
	}

	t, m := st.TotalRequests, c.InFlight
	if answered := rep.Requests - rep.Errors.Status; t < answered {
		fail("lost: totalRequests %d < %d responses answered without error", t, answered)
	}
	if t > c.Generated {
		fail("double counted: totalRequests %d > %d requests generated", t, c.Generated)
	}
	if limit := rep.Requests + conns*rep.Depth; t > limit {
		fail("totalRequests %d > completed %d + connections*depth %d", t, rep.Requests, conns*rep.Depth)
	}
	if st.Sum != math.Trunc(st.Sum) || math.Abs(st.Sum) > 1<<53 {
		fail("sum %v is not an exact integer", st.Sum)
	} else if m >= 0 {
		s := int64(st.Sum)
		if s > c.ExpectedSum || s < c.ExpectedSum-(valueModulus-1)*m {
			fail("sum %d outside [%d, %d]", s, c.ExpectedSum-(valueModulus-1)*m, c.ExpectedSum)
		}
		if u := st.UniqueUsers; u > c.ExpectedUsers || u < c.ExpectedUsers-m {
			fail("uniqueUsers %d outside [%d, %d]", u, c.ExpectedUsers-m, c.ExpectedUsers)
		}
	}
	if t > 0 {
		want := st.Sum / float64(t)
		if math.Abs(st.Avg-want) > 1e-9*math.Max(1, math.Abs(want)) {
			fail("avg %v != sum/total %v", st.Avg, want)
		}
	} else if st.Avg != 0 {
		fail("avg %v with no requests", st.Avg)
	}

	switch {
	case len(c.Problems) > 0:
		c.Verdict = verdictFail
	case m == 0:
		c.Verdict = verdictExact
	default:
		c.Verdict = verdictConsistent
	}
	return c
}

// String is a one-line summary for logs.
func (c statsCheck) String() string {
	switch c.Verdict {
	case verdictNone:
		return c.Verdict
	case verdictFail:
		return c.Verdict + ": " + strings.Join(c.Problems, "; ")
	}
	return fmt.Sprintf("%s (generated %d, in flight %d)", c.Verdict, c.Generated, c.InFlight)
}
