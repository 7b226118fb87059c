package store

import (
	"math"
	"math/big"
	"math/bits"
)

// Snapshot is the merged state of every shard at one Store.Snapshot call.
// It holds the sum exactly; Sum and Avg round it once, at the end, so they
// do not depend on how events were spread over loops or ordered.
type Snapshot struct {
	TotalRequests uint64
	UniqueUsers   uint64

	nanos int128   // exact sum of Small values, in 1e-9 units
	slow  *slowSum // exact sum of non-Small values, shared and immutable; nil when none
}

// hasSlow reports whether the exact sum has a non-Small part.
func (s *Snapshot) hasSlow() bool { return !s.slow.isZero() }

// Sum returns the exact sum rounded once to the nearest float64 (ties to
// even). It allocates nothing unless a non-Small value was recorded. A sum
// beyond float64 range returns ±Inf (AppendStats still writes it exactly).
func (s *Snapshot) Sum() float64 {
	if !s.hasSlow() {
		f, _ := roundQuotient(s.nanos, 0, nanosPerUnit)
		return f
	}
	return s.slowRounded().sumF
}

// Avg returns the exact sum divided by TotalRequests, rounded once to the
// nearest float64; 0 when TotalRequests is 0. It allocates nothing unless a
// non-Small value was recorded (or past 18 billion requests).
func (s *Snapshot) Avg() float64 {
	if s.TotalRequests == 0 {
		return 0
	}
	if !s.hasSlow() {
		denHi, denLo := bits.Mul64(nanosPerUnit, s.TotalRequests)
		f, _ := roundQuotient(s.nanos, denHi, denLo)
		return f
	}
	return s.slowRounded().avgF
}

// SumRat returns the exact sum as a new big.Rat (cold: it allocates, and
// with slow values it is as costly as their decimal scale makes it).
func (s *Snapshot) SumRat() *big.Rat {
	r := new(big.Rat).SetFrac(s.nanos.bigInt(), big.NewInt(nanosPerUnit))
	if s.slow != nil {
		r.Add(r, s.slow.dec.Rat())
	}
	return r
}

// quotientPath names the way roundQuotient reached its result; tests use it
// to prove the common sums take the cheap path.
type quotientPath int

const (
	quotientExact  quotientPath = iota // zero, or both odd parts below 2^53: one float64 division
	quotientDivide                     // den below 2^64: integer long division, then one rounding
	quotientBig                        // den of 64 bits or more: big.Rat
)

// roundQuotient returns num / den rounded once to the nearest float64, ties
// to even, with den = denHi*2^64 + denLo > 0.
//
// Why each path rounds once:
//   - quotientExact: num = a*2^i and den = b*2^j with odd a, b < 2^53 are both
//     exact float64s, IEEE 754 division rounds correctly, and scaling by
//     2^(i-j) is exact (the result lies within 2^±181, far from subnormals
//     and overflow). The 1MRC sums land here: 499500000e9 = 4995*5^14 * 2^14.
//   - quotientDivide: the integer quotient q is computed with at least 55
//     significant bits, and a nonzero remainder is folded into q's lowest
//     bit as a sticky bit. Converting such an integer to float64 rounds
//     exactly as the true quotient would: the rounding bit and everything
//     below it decide, and the sticky bit sits below the rounding bit.
func roundQuotient(num int128, denHi, denLo uint64) (float64, quotientPath) {
	if num.isZero() {
		return 0, quotientExact
	}
	nHi, nLo := num.abs()
	f, path := roundMagnitude(nHi, nLo, denHi, denLo)
	if num.isNeg() {
		f = -f
	}
	return f, path
}

// roundMagnitude is roundQuotient for a positive numerator n.
func roundMagnitude(nHi, nLo, denHi, denLo uint64) (float64, quotientPath) {
	if a, i, ok := oddPart53(nHi, nLo); ok {
		if b, j, ok := oddPart53(denHi, denLo); ok {
			return float64(a) / float64(b) * pow2(i-j), quotientExact
		}
	}
	if denHi == 0 {
		return divideRound(nHi, nLo, denLo), quotientDivide
	}
	r := new(big.Rat).SetFrac(uint128Big(nHi, nLo), uint128Big(denHi, denLo))
	f, _ := r.Float64()
	return f, quotientBig
}

// uint128Big returns hi*2^64 + lo as a new big.Int.
func uint128Big(hi, lo uint64) *big.Int {
	z := new(big.Int).SetUint64(hi)
	z.Lsh(z, 64)
	return z.Or(z, new(big.Int).SetUint64(lo))
}

// oddPart53 splits x = odd * 2^shift and reports whether odd < 2^53, so that
// x is exactly representable as a float64 (x != 0).
func oddPart53(hi, lo uint64) (odd uint64, shift int, ok bool) {
	if lo == 0 {
		shift = 64 + bits.TrailingZeros64(hi)
		odd = hi >> (shift - 64)
		return odd, shift, odd < 1<<53
	}
	shift = bits.TrailingZeros64(lo)
	if hi>>shift != 0 {
		return 0, 0, false // odd has more than 64 bits
	}
	odd = lo>>shift | hi<<(64-shift) // shift == 0 implies hi == 0 here
	return odd, shift, odd < 1<<53
}

// divideRound returns n / d rounded to the nearest float64 for a 128-bit
// n > 0 and a 64-bit d > 0 (see roundQuotient for why it rounds once).
func divideRound(nHi, nLo, d uint64) float64 {
	nBits := bitLen128(nHi, nLo)
	dBits := bits.Len64(d)
	if nBits-dBits < 56 {
		// Scale n up so the quotient has 56 or 57 bits; n<<s has
		// dBits+56 <= 120 bits, and its high word is below d, as Div64
		// requires.
		s := 56 - (nBits - dBits)
		hi, lo := shl128(nHi, nLo, uint(s))
		q, r := bits.Div64(hi, lo, d)
		if r != 0 {
			q |= 1
		}
		return float64(q) * pow2(-s)
	}
	// The quotient already has 56 bits or more: divide in two steps.
	qHi, r := bits.Div64(0, nHi, d)
	qLo, r := bits.Div64(r, nLo, d)
	sticky := r != 0
	if qHi == 0 {
		if sticky {
			qLo |= 1
		}
		return float64(qLo)
	}
	// Keep the top 64 bits of q and fold everything below into sticky.
	t := bits.Len64(qHi)
	top := qHi<<(64-t) | qLo>>t
	if sticky || qLo<<(64-t) != 0 {
		top |= 1
	}
	return float64(top) * pow2(t)
}

// bitLen128 is the bit length of hi*2^64 + lo.
func bitLen128(hi, lo uint64) int {
	if hi != 0 {
		return 64 + bits.Len64(hi)
	}
	return bits.Len64(lo)
}

// shl128 shifts hi*2^64 + lo left by s < 128 (the caller guarantees no bit
// falls off the top).
func shl128(hi, lo uint64, s uint) (uint64, uint64) {
	if s >= 64 {
		return lo << (s - 64), 0
	}
	return hi<<s | lo>>(64-s), lo << s
}

// pow2 returns 2^e exactly for -1022 <= e <= 1023.
func pow2(e int) float64 {
	return math.Float64frombits(uint64(1023+e) << 52)
}
