package store

import (
	"math"
	"math/big"
	"strconv"
)

// AppendStats appends the /stats body
//
//	{"totalRequests":N,"uniqueUsers":U,"sum":S,"avg":A}
//
// with exactly these keys in this order and no spaces. Sum and Avg are
// formatted as encoding/json formats a float64 (see appendJSONFloat), so the
// body is byte for byte what json.Marshal of the same struct would write.
// It allocates nothing unless a non-Small value was recorded.
//
// A sum beyond float64 range (possible only by adding values near 1e308)
// is written as its exact value rounded to 53 bits, in exponent form
// (1.5e+309): valid RFC 8259 JSON, where encoding/json would fail.
func AppendStats(dst []byte, s *Snapshot) []byte {
	dst = append(dst, `{"totalRequests":`...)
	dst = strconv.AppendUint(dst, s.TotalRequests, 10)
	dst = append(dst, `,"uniqueUsers":`...)
	dst = strconv.AppendUint(dst, s.UniqueUsers, 10)
	if s.hasSlow() {
		return appendSlowStats(dst, s)
	}
	dst = append(dst, `,"sum":`...)
	dst = appendJSONFloat(dst, s.Sum()) // a sum of int64 nanounits is finite
	dst = append(dst, `,"avg":`...)
	dst = appendJSONFloat(dst, s.Avg())
	return append(dst, '}')
}

// appendSlowStats appends the sum and the average of a snapshot with non-Small
// values: computed once per distinct snapshot from the slow sum's binary form,
// which is converted once per change of the slow sum (see slowSum).
func appendSlowStats(dst []byte, s *Snapshot) []byte {
	m := s.slowRounded()
	dst = append(dst, `,"sum":`...)
	dst = appendRounded(dst, m.sumF, m.sum)
	dst = append(dst, `,"avg":`...)
	if m.avg == nil {
		dst = append(dst, '0')
	} else {
		dst = appendRounded(dst, m.avgF, m.avg)
	}
	return append(dst, '}')
}

// appendRounded appends f, the float64 rounding of x, as encoding/json writes
// it; or, beyond float64 range, x (exact or rounded to odd, see
// scaledSum.quo) rounded to float64's 53-bit precision (big.Float has the
// exponent range float64 lacks) as the shortest decimal that identifies it.
func appendRounded(dst []byte, f float64, x *big.Float) []byte {
	if !math.IsInf(f, 0) {
		return appendJSONFloat(dst, f)
	}
	return new(big.Float).SetPrec(53).Set(x).Append(dst, 'e', -1)
}

// appendJSONFloat appends a finite f the way encoding/json writes a
// float64: the shortest decimal that parses back to f, in plain form for
// 1e-6 <= |f| < 1e21 (and 0), else in exponent form with a two-digit
// negative exponent trimmed to one digit (1e-7, 1e+21, 1.5e+300).
func appendJSONFloat(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	if abs < 1<<53 && abs == math.Trunc(abs) && f != 0 {
		// Whole numbers below 2^53 (every 1MRC sum) print as their
		// integer digits, which is what shortest 'f' formatting gives,
		// at a fraction of its cost.
		return strconv.AppendInt(dst, int64(f), 10)
	}
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// strconv writes at least two exponent digits (1e-07);
		// encoding/json trims a leading zero of a negative exponent.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}
