package store

import (
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/onemrc/onemrc/decimal"
	"github.com/onemrc/onemrc/event"
)

// slowRoundings counts conversions of an exact decimal slow sum into the binary form
// that rounding needs: the one expensive step of a /stats with slow values (a power of
// ten up to 10^920 and a division by it). Tests read it to prove that /stats pays for
// it once per change of the slow sum, not once per answer.
var slowRoundings atomic.Uint64

// slowSum is an immutable copy of a store's exact sum of non-Small values, shared by
// every Snapshot taken while it is current (Store.slowView), so the conversion to binary
// happens once per change of the slow sum however many /stats read it. Nothing may
// modify dec once the slowSum is visible to another goroutine.
type slowSum struct {
	dec  decimal.Decimal
	seq  uint64 // Store.slowSeq when dec was copied (0 when made by SnapshotOf)
	once sync.Once
	bin  slowBinary // set by once
	// memo is the last answer of Snapshot.slowRounded: pipelined /stats with
	// nothing new in between (the same Small sum and count) reuse it.
	memo atomic.Pointer[slowMemo]
}

// slowMemo is the sum and average of one snapshot with slow values. It is
// immutable once stored, and shared: read it, never modify it.
type slowMemo struct {
	nanos int128
	total uint64
	// sum and avg are rounded to odd (see scaledSum.quo): exact enough to be
	// rounded once more to float64, or to 53 bits beyond float64 range. avg
	// is nil when total is 0.
	sum, avg   *big.Float
	sumF, avgF float64 // sum and avg rounded to float64 (±Inf beyond its range; avgF 0 when total is 0)
}

// newSlowSum copies d.
func newSlowSum(d *decimal.Decimal, seq uint64) *slowSum {
	s := &slowSum{seq: seq}
	s.dec.Set(d)
	return s
}

// isZero reports whether the slow sum is zero (a nil one is).
func (s *slowSum) isZero() bool { return s == nil || s.dec.IsZero() }

// fracBits is how many binary places of the slow sum's fraction rounding keeps in the
// common case. A quotient |X| * 2^fracBits / den with |X| >= 1 and den < 2^94 (1e9 times
// a uint64 count) has at least 98 bits, far more than the 55 that rounding to odd needs.
const fracBits = 192

// slowBinary is the slow sum S in nanounits as sign * (whole + F), with whole an integer
// and 0 <= F < 1: the form in which adding the int128 sum of Small values is integer
// addition, and F only ever contributes its first binary places and a sticky bit.
type slowBinary struct {
	neg   bool
	whole big.Int // floor(|S|)
	// frac[0] is F to fracBits places. frac[1] is F to as many more places as 10^k has
	// bits (S has k decimals in nanounits): since F and 1-F are both 0 or at least 10^-k,
	// it keeps fracBits significant bits of either, for sums whose integer part cancels.
	frac [2]fraction
}

// fraction is F truncated to bits binary places.
type fraction struct {
	bits    uint
	v       big.Int // floor(F * 2^bits)
	inexact bool    // F * 2^bits is not an integer
}

// binary returns the slow sum in binary form, converting it on the first call.
func (s *slowSum) binary() *slowBinary {
	s.once.Do(s.convert)
	return &s.bin
}

// convert computes s.bin from s.dec: the expensive step, counted in slowRoundings.
// Its cost is bounded by the sum's bounds (decimal.MinScale, MaxScale, MaxMantBits).
func (s *slowSum) convert() {
	slowRoundings.Add(1)
	b := &s.bin
	b.neg = s.dec.Sign() < 0
	var abs big.Int
	abs.Abs(s.dec.Mant())
	e := s.dec.Scale() + event.NanoDigits // S = mant * 10^e nanounits
	if e >= 0 {
		b.whole.Mul(&abs, decimal.Pow10(e))
		b.frac[0].bits, b.frac[1].bits = fracBits, fracBits // F = 0, exactly
		return
	}
	pow := decimal.Pow10(-e)
	var rem big.Int
	b.whole.QuoRem(&abs, pow, &rem)
	b.frac[0].expand(&rem, pow, fracBits)
	b.frac[1].expand(&rem, pow, fracBits+uint(pow.BitLen()))
}

// expand sets f to F = rem/pow (0 <= rem < pow) truncated to bits places.
func (f *fraction) expand(rem, pow *big.Int, bits uint) {
	var r big.Int
	f.bits = bits
	f.v.Lsh(rem, bits)
	f.v.QuoRem(&f.v, pow, &r)
	f.inexact = r.Sign() != 0
}

// scaledSum is |X| * 2^bits truncated, with X the whole exact sum in nanounits.
type scaledSum struct {
	num     big.Int
	bits    uint
	inexact bool // |X| * 2^bits is not an integer: num lacks a nonzero fraction
	neg     bool // X < 0
}

// scaled returns the exact sum X = n + S in nanounits, scaled. It costs a few additions
// and a shift of numbers the size of whole (no powers of ten).
func (b *slowBinary) scaled(n int128) *scaledSum {
	// X = sign * Y with Y = sign*n + |S| = Z + F, Z = sign*n + whole.
	z := n.bigInt()
	if b.neg {
		z.Neg(z)
	}
	z.Add(z, &b.whole)
	f := &b.frac[0]
	if z.Sign() == 0 || (z.Sign() < 0 && z.IsInt64() && z.Int64() == -1) {
		f = &b.frac[1] // |Y| is F or 1-F: keep enough places
	}
	x := &scaledSum{bits: f.bits, inexact: f.inexact, neg: b.neg}
	if z.Sign() >= 0 {
		// |Y| * 2^bits = Z*2^bits + v + eps, 0 <= eps < 1, eps > 0 iff inexact.
		x.num.Lsh(z, f.bits)
		x.num.Add(&x.num, &f.v)
		return x
	}
	// Y < 0 (Z <= -1 and F < 1): |Y| * 2^bits = -Z*2^bits - v - eps, whose floor is one
	// less when eps > 0 (and whose fraction is then 1-eps > 0).
	x.neg = !b.neg
	z.Neg(z)
	x.num.Lsh(z, f.bits)
	x.num.Sub(&x.num, &f.v)
	if f.inexact {
		x.num.Sub(&x.num, bigOne)
	}
	return x
}

var (
	bigOne       = big.NewInt(1)
	bigNanosUnit = big.NewInt(nanosPerUnit)
)

// quo returns X / den, den > 0 and below 2^94, as a big.Float that is exact or has at
// least 55 significant bits with its last bit set when anything nonzero was cut off
// (rounding to odd). Rounding that once more to 53 bits, or to fewer in float64's
// subnormal range, gives exactly the rounding of X / den itself: the cut-off part only
// ever decides the sticky bit, which lies below the rounding bit.
func (x *scaledSum) quo(den *big.Int) *big.Float {
	var q, r big.Int
	q.QuoRem(&x.num, den, &r)
	if x.inexact || r.Sign() != 0 {
		// Something was cut off, so X is not zero, and then either |Y| >= 1 or |Y| is
		// F or 1-F kept to frac[1]'s places: num >= 2^fracBits, q >= 2^98.
		if q.BitLen() < 55 {
			panic("BUG: store: slow sum quotient too short to round to odd")
		}
		q.SetBit(&q, 0, 1)
	}
	f := new(big.Float).SetInt(&q) // exact: SetInt takes as many bits as q has
	f.SetMantExp(f, -int(x.bits))
	if x.neg && q.Sign() != 0 {
		f.Neg(f) // an exact zero stays +0, as the fast path writes it
	}
	return f
}

// slowRounded returns the snapshot's sum and average (it has slow values).
func (s *Snapshot) slowRounded() *slowMemo {
	if m := s.slow.memo.Load(); m != nil && m.nanos == s.nanos && m.total == s.TotalRequests {
		return m
	}
	m := &slowMemo{nanos: s.nanos, total: s.TotalRequests}
	x := s.slow.binary().scaled(s.nanos)
	m.sum = x.quo(bigNanosUnit)
	m.sumF, _ = m.sum.Float64()
	if s.TotalRequests > 0 {
		den := new(big.Int).SetUint64(s.TotalRequests)
		m.avg = x.quo(den.Mul(den, bigNanosUnit))
		m.avgF, _ = m.avg.Float64()
	}
	s.slow.memo.Store(m)
	return m
}
