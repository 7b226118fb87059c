package decimal

import (
	"fmt"
	"math/big"

	"github.com/onemrc/onemrc/event"
)

// Bounds of the decimal exponent of a value's leading digit that SetNumber
// accepts. The event decoder rejects anything outside float64 range, so these
// only fence off a broken contract (which would otherwise let an exponent like
// 1e-999999999 allocate without bound).
const (
	minLeadingExp10 = -400 // float64's smallest subnormal is about 4.9e-324
	maxLeadingExp10 = 309  // float64's largest value is about 1.8e308
)

// Bounds of every sum of event values onemrc produces (the store's sums, a State, a
// log record's, a node's totals in Redis), whatever events arrive. Anything read back
// from outside (a checkpoint, a log, Redis) beyond them was not written by onemrc:
// readers reject it (Check) before doing arithmetic whose cost grows with it (10^|scale|).
//
// Derivation: a value SetNumber accepts has at most event.MaxNumberLen digits and its
// leading digit at 10^lead, minLeadingExp10 <= lead <= maxLeadingExp10, so its scale,
// the exponent of its last digit, lies in [minLeadingExp10 - event.MaxNumberLen + 1,
// maxLeadingExp10]. A sum's scale is the least of its terms' (AddScaled), and whole
// nanounits join at -9: the same range. Each value is below 10^(maxLeadingExp10+1) in
// magnitude, and a store counts fewer than 2^64 events (its request count is a uint64),
// so |mant| < 2^64 * 10^(maxLeadingExp10 + 1 - MinScale).
// TestBounds recomputes MaxMantBits and MaxMantDigits.
const (
	MinScale = minLeadingExp10 - event.MaxNumberLen + 1 // -911
	MaxScale = maxLeadingExp10                          // 309
	// MaxMantBits is the bit length of 2^64 * 10^1221.
	MaxMantBits = 4121
	// MaxMantBytes is the length of the longest |mant| in big-endian bytes.
	MaxMantBytes = (MaxMantBits + 7) / 8
	// MaxMantDigits is the number of decimal digits of 2^MaxMantBits - 1, so of
	// any |mant| (a sign comes on top).
	MaxMantDigits = 1241
)

// Check reports whether d is within the bounds above. Its error names the part
// that is not and the bound, for the caller to wrap with where it read d. A nil d
// is zero.
func (d *Decimal) Check() error {
	if d == nil {
		return nil
	}
	return checkParts(&d.mant, d.scale)
}

func checkParts(mant *big.Int, scale int) error {
	if scale < MinScale || scale > MaxScale {
		return fmt.Errorf("sum scale %d outside [%d, %d]", scale, MinScale, MaxScale)
	}
	if mant.BitLen() > MaxMantBits {
		return fmt.Errorf("sum mantissa of %d bits exceeds %d", mant.BitLen(), MaxMantBits)
	}
	return nil
}
