package decimal

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrNumber means SetNumber was given text that is not an RFC 8259 number whose
// leading digit lies within float64's decimal range: never what the event
// decoder passes on.
var ErrNumber = errors.New("decimal: not an RFC 8259 number in float64 range")

// SetNumber sets d to the JSON number text exactly and returns d. ABNF from
// RFC 8259 §6:
//
//	number = [ minus ] int [ frac ] [ exp ]
//	int    = zero / ( digit1-9 *DIGIT )
//	frac   = decimal-point 1*DIGIT
//	exp    = e [ minus / plus ] 1*DIGIT
//
// mant gets the integer and fraction digits (with the sign) and scale the
// exponent of the last one; zero in any spelling is 0 × 10^0. On ErrNumber d
// is unchanged. It does not check the number against ±MaxFloat64 (the event
// decoder does, exactly); it only bounds the leading digit's exponent, so that
// a broken caller cannot make it allocate without bound.
func (d *Decimal) SetNumber(text []byte) (*Decimal, error) {
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
		return d, ErrNumber
	}
	digits = append(digits, p[:i]...)
	p = p[i:]
	scale := 0
	if len(p) > 0 && p[0] == '.' {
		p = p[1:]
		i = 0
		for i < len(p) && isASCIIDigit(p[i]) {
			i++
		}
		if i == 0 {
			return d, ErrNumber
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
			return d, ErrNumber
		}
		if expNeg {
			exp = -exp
		}
		scale += exp
		p = p[n:]
	}
	if len(p) != 0 {
		return d, ErrNumber
	}
	// Leading zeros carry no value; what is left sets the magnitude.
	for len(digits) > 1 && digits[0] == '0' {
		digits = digits[1:]
	}
	if len(digits) == 1 && digits[0] == '0' {
		d.mant.SetInt64(0)
		d.scale = 0
		return d, nil
	}
	if lead := scale + len(digits) - 1; lead < minLeadingExp10 || lead > maxLeadingExp10 {
		return d, ErrNumber
	}
	if _, ok := d.mant.SetString(string(digits), 10); !ok {
		panic("BUG: decimal: digits that are not decimal digits")
	}
	if neg {
		d.mant.Neg(&d.mant)
	}
	d.scale = scale
	return d, nil
}

func isASCIIDigit(c byte) bool { return c-'0' < 10 }

// MaxTextLen is the longest mant text Parse accepts: a sign and MaxMantDigits.
const MaxTextLen = 1 + MaxMantDigits

// Parse reads mant × 10^scale from its two decimal texts (mant as big.Int.String
// writes it, scale as strconv.Itoa does: how a cluster node stores its sum in
// Redis), and refuses anything beyond the bounds (Check): what is read back is
// never trusted (a scale of 10^9 would cost 10^(10^9) at the first /stats, and a
// mant of 100 MB seconds to parse).
func Parse(mantText, scaleText string) (*Decimal, error) {
	if len(mantText) > MaxTextLen {
		return nil, fmt.Errorf("mant of %d bytes exceeds %d", len(mantText), MaxTextLen)
	}
	d := new(Decimal)
	if _, ok := d.mant.SetString(mantText, 10); !ok {
		return nil, fmt.Errorf("mant %q is not a decimal integer", mantText)
	}
	var err error
	if d.scale, err = strconv.Atoi(scaleText); err != nil {
		return nil, fmt.Errorf("scale: %w", err)
	}
	if err := d.Check(); err != nil {
		return nil, err
	}
	return d, nil
}
