package decimal

import (
	"math/big"
	"strconv"
)

// Decimal is the exact number mant × 10^scale. The zero value is 0.
// Like big.Int it must not be copied by assignment once used: use Set.
type Decimal struct {
	mant  big.Int
	scale int
}

// New returns mant × 10^scale (mant is copied; nil is 0).
func New(mant *big.Int, scale int) *Decimal {
	d := new(Decimal)
	if mant != nil {
		d.mant.Set(mant)
	}
	d.scale = scale
	return d
}

// Set sets d to x and returns d.
func (d *Decimal) Set(x *Decimal) *Decimal {
	d.mant.Set(&x.mant)
	d.scale = x.scale
	return d
}

// SetBinary sets d to sign × abs × 10^scale, abs being a big-endian magnitude,
// reusing d's storage (a reader decoding into the same Decimal allocates only
// while the mantissa grows). sign is -1, 0 or 1.
func (d *Decimal) SetBinary(sign int, abs []byte, scale int) *Decimal {
	d.mant.SetBytes(abs)
	if sign < 0 {
		d.mant.Neg(&d.mant)
	}
	if sign == 0 {
		d.mant.SetInt64(0)
	}
	d.scale = scale
	return d
}

// Mant returns d's mantissa. The result is a reference to d's own: it changes
// when d does, and the caller must not modify it (big.Rat.Num's contract).
func (d *Decimal) Mant() *big.Int { return &d.mant }

// Scale returns d's scale: d is Mant() × 10^Scale().
func (d *Decimal) Scale() int { return d.scale }

// Sign returns -1, 0 or 1.
func (d *Decimal) Sign() int { return d.mant.Sign() }

// IsZero reports whether d is 0 (whatever its scale).
func (d *Decimal) IsZero() bool { return d.mant.Sign() == 0 }

// Add adds x to d and returns d.
func (d *Decimal) Add(x *Decimal) *Decimal { return d.AddScaled(&x.mant, x.scale) }

// AddScaled adds m × 10^scale to d and returns d. A zero m changes nothing; a
// zero d takes m and scale as they are.
func (d *Decimal) AddScaled(m *big.Int, scale int) *Decimal {
	switch {
	case m.Sign() == 0:
	case d.IsZero():
		d.mant.Set(m)
		d.scale = scale
	case scale >= d.scale:
		var t big.Int
		t.Mul(m, Pow10(scale-d.scale))
		d.mant.Add(&d.mant, &t)
	default:
		d.mant.Mul(&d.mant, Pow10(d.scale-scale))
		d.mant.Add(&d.mant, m)
		d.scale = scale
	}
	return d
}

// Int returns d as a count of 10^scale units, when that is a whole number: the
// value in nanounits is d.Int(-9). It costs a power of ten of |d.Scale()-scale|
// digits: Check d first when it was read from outside.
func (d *Decimal) Int(scale int) (*big.Int, bool) {
	n := new(big.Int).Set(&d.mant)
	e := d.scale - scale
	if e >= 0 {
		return n.Mul(n, Pow10(e)), true
	}
	var rem big.Int
	n.QuoRem(n, Pow10(-e), &rem)
	return n, rem.Sign() == 0
}

// Rat returns d as a new big.Rat.
func (d *Decimal) Rat() *big.Rat {
	r := new(big.Rat).SetInt(&d.mant)
	if d.scale >= 0 {
		return r.Mul(r, new(big.Rat).SetInt(Pow10(d.scale)))
	}
	return r.Quo(r, new(big.Rat).SetInt(Pow10(-d.scale)))
}

// Cmp compares d and x by value: -1, 0 or +1 (1.0 and 1 are equal).
func (d *Decimal) Cmp(x *Decimal) int {
	var diff Decimal
	diff.Set(d)
	neg := new(big.Int).Neg(&x.mant)
	return diff.AddScaled(neg, x.scale).Sign()
}

// String returns d as "mant×10^scale", for logs and test failures.
func (d *Decimal) String() string {
	return d.mant.String() + "×10^" + strconv.Itoa(d.scale)
}

// Pow10 returns 10^n as a new big.Int (n >= 0).
func Pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}
