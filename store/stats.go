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
	dst = append(dst, `,"sum":`...)
	if f := s.Sum(); !math.IsInf(f, 0) {
		dst = appendJSONFloat(dst, f)
	} else {
		dst = appendBeyondFloat64(dst, s.SumRat())
	}
	dst = append(dst, `,"avg":`...)
	if f := s.Avg(); !math.IsInf(f, 0) {
		dst = appendJSONFloat(dst, f)
	} else {
		dst = appendBeyondFloat64(dst, s.avgRat())
	}
	return append(dst, '}')
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

// appendBeyondFloat64 appends r, whose magnitude exceeds float64 range,
// rounded to float64's 53-bit precision (big.Float has the exponent range
// float64 lacks) as the shortest decimal that identifies that value.
func appendBeyondFloat64(dst []byte, r *big.Rat) []byte {
	f := new(big.Float).SetPrec(53).SetRat(r)
	return f.Append(dst, 'e', -1)
}
