package main

import (
	"fmt"
	"math/big"
	"strings"
)

// maxConns is the most connections one round may use: connection c's values are
// ±2^c nanounits, so with c < 50 every sum the daemon can hold is below 2^50
// nanounits and its float64 /stats rendering still names the exact integer (see
// sumNanos).
const maxConns = 50

// What a round sends, and why the sum identifies what was counted.
//
// Connection c of a round sends event j (counted from 0) with the value
//
//	sign_c * (-1)^j * 2^c nanounits (2^c * 1e-9)
//
// so the sum of its first k events is prefix(c, k) = sign_c * 2^c when k is odd and 0
// when k is even. Each connection has at most one event in flight (it sends, reads the
// answer, then sends the next), so after a crash a correct daemon counts, per
// connection, either exactly the acknowledged events (k = acked) or those plus the one
// in flight (k = acked + 1 = sent). The second adds step(c) = prefix(c, acked+1) -
// prefix(c, acked) = ±2^c, a sign the harness knows. The restored sum minus the sum of
// the acknowledged prefixes is therefore a signed sum of distinct powers of two,
// which names its set of connections uniquely (two such sums can only be equal if the
// same powers appear: the lowest differing power would leave its bit set).
//
// Why alternating signs rather than the plain 2^c per event: /stats renders the sum as
// a float64, exact only below 2^53. Thousands of events of 2^49 would leave that range
// at once; alternating values keep every prefix sum, and so every cumulative sum, in
// [0, 2^c] per connection index when sign_c is chosen against what the index already
// holds (nextSign).

// prefix is the sum, in nanounits, of the first k events of connection c sent with
// sign (+1 or -1).
func prefix(c int, sign int64, k uint64) int64 {
	if k%2 == 0 {
		return 0
	}
	return sign << c
}

// nextSign picks a connection's sign for the next round from what its index holds
// (held is 0 or 2^c): adding 2^c to 0 or taking it from 2^c keeps held in {0, 2^c}.
func nextSign(held int64) int64 {
	if held > 0 {
		return -1
	}
	return 1
}

// connResult is what the client knows about one connection of a round.
type connResult struct {
	Sign  int64  `json:"sign"`
	Sent  uint64 `json:"sent"`  // requests written (or partly written)
	Acked uint64 `json:"acked"` // answers 200 read
}

// counters are the exact parts of one /stats answer; SumNanos is the sum in 1e-9 units.
type counters struct {
	Total    uint64
	Users    uint64
	SumNanos int64
}

// verdict is what a check of one round concluded.
type verdict struct {
	Acked           uint64   `json:"acked"`                  // events acknowledged in the round
	Sent            uint64   `json:"sent"`                   // events written in the round
	Restored        int64    `json:"restored"`               // totalRequests gained over the round
	InFlightCounted uint64   `json:"inFlightCounted"`        // unacknowledged events the daemon kept (allowed)
	Lost            uint64   `json:"lost"`                   // acknowledged events missing, at least (must be 0)
	Counted         []int    `json:"countedConns,omitempty"` // connections whose in-flight event was counted
	Problems        []string `json:"problems,omitempty"`
}

// OK reports whether the round kept every acknowledged event and nothing else is wrong.
func (v verdict) OK() bool { return len(v.Problems) == 0 }

// checkRound compares the /stats read after a restart (after) with the one read
// before the round's load (before), given what each connection sent and had
// acknowledged. It accepts exactly the outcomes a durable daemon may produce: per
// connection a prefix of k events with acked <= k <= sent, every event counted once
// (uniqueUsers grows with totalRequests: every event is a new user).
func checkRound(before, after counters, conns []connResult) verdict {
	var v verdict
	var ackedSum int64
	for c, r := range conns {
		if r.Sent < r.Acked || r.Sent > r.Acked+1 {
			panic(fmt.Sprintf("BUG: connection %d sent %d with %d acknowledged: one request in flight at most", c, r.Sent, r.Acked))
		}
		v.Acked += r.Acked
		v.Sent += r.Sent
		ackedSum += prefix(c, r.Sign, r.Acked)
	}
	v.Restored = int64(after.Total) - int64(before.Total)
	users := int64(after.Users) - int64(before.Users)
	problem := func(format string, args ...any) { v.Problems = append(v.Problems, fmt.Sprintf(format, args...)) }

	switch {
	case v.Restored < int64(v.Acked):
		// The count alone proves the loss; the sum cannot say which events went.
		v.Lost = v.Acked - uint64(max(v.Restored, 0))
		problem("lost %d acknowledged events: totalRequests grew by %d, %d were acknowledged", v.Lost, v.Restored, v.Acked)
	case v.Restored > int64(v.Sent):
		problem("counted %d events, more than the %d sent", v.Restored, v.Sent)
	default:
		counted, err := countedInFlight(after.SumNanos-before.SumNanos-ackedSum, conns)
		if err != nil {
			if users != v.Restored {
				problem("%v", err) // an event counted twice explains it
				break
			}
			// Among events that were sent, each counted once, only a missing
			// acknowledged one (a tail or a hole) leaves a sum no in-flight set explains.
			v.Lost = 1
			problem("%v: at least one acknowledged event is missing", err)
			break
		}
		v.Counted, v.InFlightCounted = counted, uint64(len(counted))
		// A connection that lost l acknowledged events adds to the sum what keeping its
		// in-flight event would when l is odd, nothing when l is even. So the named set
		// is the kept in-flight events plus the odd losers, and the count falls short
		// of it by the odd losers plus every lost event: at least twice the odd losers.
		switch short := int64(v.Acked+v.InFlightCounted) - v.Restored; {
		case short > 0:
			v.Lost = uint64(short+1) / 2
			problem("the sum names %d acknowledged + %d in-flight events, but totalRequests grew by %d: at least %d acknowledged events lost",
				v.Acked, v.InFlightCounted, v.Restored, v.Lost)
		case short < 0:
			problem("the sum names %d acknowledged + %d in-flight events, but totalRequests grew by %d: events counted out of order",
				v.Acked, v.InFlightCounted, v.Restored)
		}
	}
	if users != v.Restored {
		problem("uniqueUsers grew by %d but totalRequests by %d: every event is a new user", users, v.Restored)
	}
	if after.Total != after.Users {
		problem("uniqueUsers %d != totalRequests %d", after.Users, after.Total)
	}
	return v
}

// countedInFlight names the connections whose in-flight event explains rest, the
// restored sum minus that of the acknowledged prefixes. Each counted in-flight event
// adds ±2^c, so the lowest set bit of what remains names the next connection, and
// taking its step away clears that bit; what is left at the end must be zero.
func countedInFlight(rest int64, conns []connResult) ([]int, error) {
	var counted []int
	for c, r := range conns {
		if rest&(1<<c) == 0 {
			continue
		}
		if r.Sent == r.Acked {
			return nil, fmt.Errorf("sum off by %s: connection %d (values ±%s) had nothing in flight", nanoText(rest), c, nanoText(1<<c))
		}
		counted = append(counted, c)
		rest -= prefix(c, r.Sign, r.Acked+1) - prefix(c, r.Sign, r.Acked)
	}
	if rest != 0 {
		return nil, fmt.Errorf("sum off by %s beyond what the in-flight events explain", nanoText(rest))
	}
	return counted, nil
}

// heldAfter returns what each connection index holds once the round is restored: its
// old holding plus the prefix the daemon kept (acknowledged events, plus the in-flight
// one where the verdict counted it). After a failed check the kept prefix is unknown;
// the acknowledged one is assumed.
func heldAfter(held []int64, conns []connResult, v verdict) []int64 {
	counted := make(map[int]bool, len(v.Counted))
	for _, c := range v.Counted {
		counted[c] = true
	}
	out := append([]int64(nil), held...)
	for c, r := range conns {
		k := r.Acked
		if counted[c] {
			k++
		}
		out[c] += prefix(c, r.Sign, k)
	}
	return out
}

// sumNanos converts a /stats sum (a float64 rendering) to whole nanounits. Every sum
// of this harness is below 2^50 nanounits; below 2^51 (2.25e6 units) half an ulp of a
// float64 is under 0.25 nanounits, so the nearest integer is the exact sum, and a
// rendering further than that from a whole count of nanounits is an error.
func sumNanos(s string) (int64, error) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	if !ok {
		return 0, fmt.Errorf("sum %q is not a number", s)
	}
	r.Mul(r, big.NewRat(1_000_000_000, 1))
	lim := new(big.Rat).SetInt64(1 << 51)
	if new(big.Rat).Abs(r).Cmp(lim) >= 0 {
		return 0, fmt.Errorf("sum %s is beyond the 2^51 nanounits whose float64 rendering names them exactly", s)
	}
	f, _ := r.Float64()
	n := int64(f)
	if f < 0 {
		n = int64(f - 0.5)
	} else {
		n = int64(f + 0.5)
	}
	diff := new(big.Rat).Sub(r, new(big.Rat).SetInt64(n))
	if diff.Abs(diff).Cmp(big.NewRat(1, 4)) > 0 {
		return 0, fmt.Errorf("sum %s is not a whole number of nanounits", s)
	}
	return n, nil
}

// nanoText writes n nanounits as a decimal: 1536 is 0.000001536.
func nanoText(n int64) string {
	return string(appendNanos(nil, n))
}

// appendNanos appends n nanounits as the shortest JSON decimal: -3 is -0.000000003.
func appendNanos(dst []byte, n int64) []byte {
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	whole, frac := n/1_000_000_000, n%1_000_000_000
	dst = fmt.Appendf(dst, "%d", whole)
	if frac == 0 {
		return dst
	}
	digits := fmt.Appendf(nil, "%09d", frac)
	for digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	dst = append(dst, '.')
	return append(dst, digits...)
}
