package store

import (
	"math/big"
	"math/bits"

	"github.com/onemrc/onemrc/decimal"
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

// addText adds the JSON number text (RFC 8259 §6: -? int frac? exp?) to d. It
// panics if the text is not such a number or is far outside float64 range: the
// decoder guarantees both (see event.Value.Text).
func addText(d *decimal.Decimal, text []byte) {
	var x decimal.Decimal
	if _, err := x.SetNumber(text); err != nil {
		panic("BUG: store: Value.Text is not an RFC 8259 number in float64 range")
	}
	d.Add(&x)
}
