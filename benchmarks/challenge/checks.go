package main

import (
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/onemrc/onemrc/benchmarks/internal/loadgen"
)

// check is one comparison of /stats against the events sent.
type check struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	OK   bool   `json:"ok"`
	Note string `json:"note,omitempty"`
}

// checkStats compares the change from before to after with the figures of
// the events sent. An empty baseline (totalRequests 0) is held to the exact
// totals; a daemon that already held data is checked on the deltas, and
// its unique-user delta may be anything from 0 (every user seen before) to
// the number of distinct users sent.
func checkStats(before, after stats, want loadgen.Figures) []check {
	fresh := before.TotalRequests == 0
	var checks []check

	gotTotal := int64(after.TotalRequests) - int64(before.TotalRequests)
	checks = append(checks, check{
		Name: "totalRequests delta",
		Want: fmt.Sprintf("+%d", want.Requests),
		Got:  fmt.Sprintf("%+d", gotTotal),
		OK:   gotTotal == int64(want.Requests),
	})

	checks = append(checks, checkSum(before, after, want, fresh))

	gotUsers := int64(after.UniqueUsers) - int64(before.UniqueUsers)
	users := check{Name: "uniqueUsers delta", Got: fmt.Sprintf("%+d", gotUsers)}
	if fresh {
		users.Want = fmt.Sprintf("+%d", want.Users)
		users.OK = gotUsers == int64(want.Users)
	} else {
		users.Want = fmt.Sprintf("+0..+%d", want.Users)
		users.OK = gotUsers >= 0 && gotUsers <= int64(want.Users)
		users.Note = "daemon held data before: users it had seen are not new"
	}
	checks = append(checks, users)

	avg := check{Name: "avg", Got: after.Avg.String(), Want: strconv.FormatFloat(want.Avg(), 'g', -1, 64)}
	if fresh {
		got, err := strconv.ParseFloat(after.Avg.String(), 64)
		avg.OK = err == nil && got == want.Avg()
	} else {
		avg.Want, avg.OK = "(not checked)", true
		avg.Note = "daemon held data before: its avg mixes in earlier events"
	}
	checks = append(checks, avg)
	return checks
}

// checkSum compares the sum. From an empty baseline the daemon's sum must
// be the float64 nearest the exact sum (what rounding once gives). Against
// a pre-filled daemon both readings were each rounded to float64, so the
// delta may differ from the exact figure by half an ulp of each.
func checkSum(before, after stats, want loadgen.Figures, fresh bool) check {
	c := check{Name: "sum delta", Want: "+" + ratText(want.Sum())}
	a, okA := new(big.Rat).SetString(after.Sum.String())
	b, okB := new(big.Rat).SetString(before.Sum.String())
	if !okA || !okB {
		c.Got = fmt.Sprintf("unreadable sums %q, %q", before.Sum, after.Sum)
		return c
	}
	delta := new(big.Rat).Sub(a, b)
	c.Got = "+" + ratText(delta)
	if delta.Sign() < 0 {
		c.Got = ratText(delta)
	}
	if fresh {
		gotF, _ := a.Float64()
		wantF, _ := want.Sum().Float64()
		c.OK = gotF == wantF
		return c
	}
	af, _ := a.Float64()
	bf, _ := b.Float64()
	tol := new(big.Rat).SetFloat64((ulp(af) + ulp(bf)) / 2)
	diff := new(big.Rat).Sub(delta, want.Sum())
	c.OK = diff.Abs(diff).Cmp(tol) <= 0
	c.Note = "daemon held data before: compared within float64 rounding of both readings"
	return c
}

// ulp is the gap between |f| and the next larger float64.
func ulp(f float64) float64 {
	f = math.Abs(f)
	return math.Nextafter(f, math.Inf(1)) - f
}

// ratText writes r as an integer or a terminating decimal when it is one
// (every sum of values with at most 9 decimals is), else as a fraction.
func ratText(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	for prec := 1; prec <= 30; prec++ {
		s := r.FloatString(prec)
		if back, ok := new(big.Rat).SetString(s); ok && back.Cmp(r) == 0 {
			return s
		}
	}
	return r.RatString()
}
