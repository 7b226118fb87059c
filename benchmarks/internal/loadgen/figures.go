package loadgen

import "math/big"

// Figures are what /stats must gain from one run of n events.
type Figures struct {
	Requests uint64 // totalRequests delta
	Users    uint64 // distinct user ids among the events
	// SumHalves is the sum of all values times two, so half values stay in
	// exact integer arithmetic.
	SumHalves uint64
}

// Expected returns the figures of events 0..n-1 with the given user count,
// computed in exact integer arithmetic (never a hard-coded constant).
func Expected(n, users uint64, half bool) Figures {
	f := Figures{Requests: n, Users: min(n, max(users, 1))}
	// Values cycle through 0..valueCycle-1: full cycles plus a partial one.
	full, rest := n/valueCycle, n%valueCycle
	cycleSum := uint64(valueCycle * (valueCycle - 1) / 2)
	sum := full * cycleSum
	if rest > 0 {
		sum += rest * (rest - 1) / 2
	}
	f.SumHalves = 2 * sum
	if half {
		f.SumHalves += n
	}
	return f
}

// Sum is the exact expected sum.
func (f Figures) Sum() *big.Rat {
	return new(big.Rat).SetFrac(new(big.Int).SetUint64(f.SumHalves), big.NewInt(2))
}

// Avg is the float64 nearest to the exact mean, what a correctly rounding
// daemon reports; 0 when there are no requests.
func (f Figures) Avg() float64 {
	if f.Requests == 0 {
		return 0
	}
	avg, _ := new(big.Rat).SetFrac(
		new(big.Int).SetUint64(f.SumHalves),
		new(big.Int).Mul(big.NewInt(2), new(big.Int).SetUint64(f.Requests)),
	).Float64()
	return avg
}
