package store

import (
	"fmt"
	"math/big"
	"math/bits"

	"github.com/onemrc/onemrc/event"
)

// nanosPerUnit is the scale of Value.Nanos and of int128 sums: 1e-9 units.
const nanosPerUnit = 1_000_000_000

// int128 is a two's-complement signed 128-bit integer: the exact running sum
// of Small values, in nanounits. Adding int64s to it never overflows in
// practice: each add moves it by less than 2^63, so 2^64 adds (far beyond
// any process lifetime) are needed to wrap.
//
// Integer addition is associative, so the merged total is the same whatever
// the number of shards and the order of events. That is the reason the store
// never sums in floating point.
type int128 struct {
	hi, lo uint64
}

// addInt64 adds v with one carry chain: the high word gains the carry and
// the sign extension of v (all ones when v < 0).
func (x *int128) addInt64(v int64) {
	var c uint64
	x.lo, c = bits.Add64(x.lo, uint64(v), 0)
	x.hi += uint64(v>>63) + c
}

// add adds y to x.
func (x *int128) add(y int128) {
	var c uint64
	x.lo, c = bits.Add64(x.lo, y.lo, 0)
	x.hi, _ = bits.Add64(x.hi, y.hi, c)
}

func (x int128) isNeg() bool  { return int64(x.hi) < 0 }
func (x int128) isZero() bool { return x.hi|x.lo == 0 }

// abs returns |x| as an unsigned 128-bit magnitude (hi, lo). -2^127 maps to
// 2^127, which the unsigned form holds.
func (x int128) abs() (hi, lo uint64) {
	if !x.isNeg() {
		return x.hi, x.lo
	}
	var b uint64
	lo, b = bits.Sub64(0, x.lo, 0)
	hi, _ = bits.Sub64(0, x.hi, b)
	return hi, lo
}

// bigInt returns x as a new big.Int (cold path).
func (x int128) bigInt() *big.Int {
	z := uint128Big(x.abs())
	if x.isNeg() {
		z.Neg(z)
	}
	return z
}

// decimalSum is the exact sum of values that are not Small (more than nine
// decimals, exponents, magnitudes past int64 nanos): mant * 10^scale.
// It only ever adds exact integers scaled to a common power of ten, so it is
// exact and order-independent like int128, at the price of allocations; it
// is the rare path (the decoder makes every ordinary number Small).
//
// Its size is bounded by what the decoder admits (RFC 8259 numbers of at
// most event.MaxNumberLen bytes, in float64 range, no nonzero underflowing to 0):
// scale and mant stay within MinSumScale, MaxSumScale and MaxSumMantBits
// whatever arrives.
//
// The zero value is the sum zero.
type decimalSum struct {
	mant  big.Int
	scale int
}

// Bounds of the decimal exponent of a value's leading digit that reach
// decimalSum. The decoder rejects anything outside float64 range, so these
// only fence off a broken contract (which would otherwise let an exponent
// like 1e-999999999 allocate without bound).
const (
	minLeadingExp10 = -400 // float64's smallest subnormal is about 4.9e-324
	maxLeadingExp10 = 309  // float64's largest value is about 1.8e308
)

// Bounds of every exact sum mant * 10^scale this package produces (a decimalSum,
// State, Snapshot.SumDecimal), whatever events arrive. Anything read back from outside
// (a checkpoint, Redis) beyond them was not written by a store: readers reject it
// before doing arithmetic whose cost grows with it (10^|scale|).
//
// Derivation: a value reaching decimalSum has at most event.MaxNumberLen digits and its
// leading digit at 10^lead, minLeadingExp10 <= lead <= maxLeadingExp10 (parseDecimal
// panics otherwise), so its scale, the exponent of its last digit, lies in
// [minLeadingExp10 - event.MaxNumberLen + 1, maxLeadingExp10]. A sum's scale is the least of
// its terms' (addScaled), and the Small part joins at -9: the same range. Each value is
// below 10^(maxLeadingExp10+1) in magnitude, and a store counts fewer than 2^64 events
// (TotalRequests is a uint64), so |mant| < 2^64 * 10^(maxLeadingExp10 + 1 - MinSumScale).
// TestSumBounds recomputes MaxSumMantBits and MaxSumMantDigits.
const (
	MinSumScale = minLeadingExp10 - event.MaxNumberLen + 1 // -911
	MaxSumScale = maxLeadingExp10                          // 309
	// MaxSumMantBits is the bit length of 2^64 * 10^1221.
	MaxSumMantBits = 4121
	// MaxSumMantDigits is the number of decimal digits of 2^MaxSumMantBits - 1, so of
	// any |mant| (a sign comes on top).
	MaxSumMantDigits = 1241
)

// CheckSum reports whether mant * 10^scale is within the bounds above. Its error names
// the part that is not and the bound, for the caller to wrap with where it read them.
// A nil mant is zero.
func CheckSum(mant *big.Int, scale int) error {
	if scale < MinSumScale || scale > MaxSumScale {
		return fmt.Errorf("sum scale %d outside [%d, %d]", scale, MinSumScale, MaxSumScale)
	}
	if mant != nil && mant.BitLen() > MaxSumMantBits {
		return fmt.Errorf("sum mantissa of %d bits exceeds %d", mant.BitLen(), MaxSumMantBits)
	}
	return nil
}

// isZero reports whether the sum is zero.
func (d *decimalSum) isZero() bool { return d.mant.Sign() == 0 }

// addText adds the JSON number text (RFC 8259 §6: -? int frac? exp?). It
// panics if the text is not such a number or is far outside float64 range:
// the decoder guarantees both (see Value.Text).
func (d *decimalSum) addText(text []byte) {
	var m big.Int
	scale := parseDecimal(&m, text)
	d.addScaled(&m, scale)
}

// addScaled adds m * 10^scale.
func (d *decimalSum) addScaled(m *big.Int, scale int) {
	switch {
	case m.Sign() == 0:
		return
	case d.isZero():
		d.mant.Set(m)
		d.scale = scale
	case scale >= d.scale:
		var t big.Int
		t.Mul(m, bigPow10(scale-d.scale))
		d.mant.Add(&d.mant, &t)
	default:
		d.mant.Mul(&d.mant, bigPow10(d.scale-scale))
		d.mant.Add(&d.mant, m)
		d.scale = scale
	}
}

// add adds another decimalSum to d.
func (d *decimalSum) add(o *decimalSum) { d.addScaled(&o.mant, o.scale) }

// rat returns the sum as a new big.Rat.
func (d *decimalSum) rat() *big.Rat {
	r := new(big.Rat).SetInt(&d.mant)
	if d.scale >= 0 {
		return r.Mul(r, new(big.Rat).SetInt(bigPow10(d.scale)))
	}
	return r.Quo(r, new(big.Rat).SetInt(bigPow10(-d.scale)))
}

// bigPow10 returns 10^n as a new big.Int (n >= 0).
func bigPow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// parseDecimal sets m to the integer whose digits are the number's integer
// and fraction digits (with its sign) and returns scale such that the value
// is m * 10^scale. ABNF from RFC 8259 §6:
//
//	number = [ minus ] int [ frac ] [ exp ]
//	int    = zero / ( digit1-9 *DIGIT )
//	frac   = decimal-point 1*DIGIT
//	exp    = e [ minus / plus ] 1*DIGIT
func parseDecimal(m *big.Int, text []byte) (scale int) {
	const bad = "BUG: store: Value.Text is not an RFC 8259 number in float64 range"
	p := text
	neg := len(p) > 0 && p[0] == '-'
	if neg {
		p = p[1:]
	}
	digits := make([]byte, 0, len(p))
	i := 0
	for i < len(p) && isASCIIDigit(p[i]) {
		i++
	}
	if i == 0 {
		panic(bad)
	}
	digits = append(digits, p[:i]...)
	p = p[i:]
	if len(p) > 0 && p[0] == '.' {
		p = p[1:]
		i = 0
		for i < len(p) && isASCIIDigit(p[i]) {
			i++
		}
		if i == 0 {
			panic(bad)
		}
		digits = append(digits, p[:i]...)
		scale = -i
		p = p[i:]
	}
	if len(p) > 0 && (p[0] == 'e' || p[0] == 'E') {
		p = p[1:]
		expNeg := len(p) > 0 && p[0] == '-'
		if len(p) > 0 && (p[0] == '-' || p[0] == '+') {
			p = p[1:]
		}
		// Saturate: anything past 10^6 is far outside the bounds below,
		// and stopping there keeps the int from overflowing.
		exp, n := 0, 0
		for n < len(p) && isASCIIDigit(p[n]) {
			if exp < 1_000_000 {
				exp = exp*10 + int(p[n]-'0')
			}
			n++
		}
		if n == 0 {
			panic(bad)
		}
		if expNeg {
			exp = -exp
		}
		scale += exp
		p = p[n:]
	}
	if len(p) != 0 {
		panic(bad)
	}
	// Leading zeros carry no value; what is left sets the magnitude.
	for len(digits) > 1 && digits[0] == '0' {
		digits = digits[1:]
	}
	if len(digits) == 1 && digits[0] == '0' {
		m.SetInt64(0)
		return 0
	}
	if lead := scale + len(digits) - 1; lead < minLeadingExp10 || lead > maxLeadingExp10 {
		panic(bad)
	}
	if _, ok := m.SetString(string(digits), 10); !ok {
		panic(bad)
	}
	if neg {
		m.Neg(m)
	}
	return scale
}

func isASCIIDigit(c byte) bool { return c-'0' < 10 }
