package event

import "math"

// mantDigits is how many decimal digits the mantissa holds: 10^19-1 < 2^64.
const mantDigits = 19

// maxExpPart caps the exponent part while it is read, so a long run of
// exponent digits cannot overflow int; a number that large is out of
// float64 range (or zero) whatever its mantissa, as a body is far shorter
// than 2^29 digits.
const maxExpPart = 1 << 30

// pow10u64 holds 10^k for k = 0..19, all exact in a uint64.
var pow10u64 = [mantDigits + 1]uint64{
	1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

// NanoDigits is the number of decimals in a nanounit: Value.Nanos counts 1e-9.
const NanoDigits = 9

// scanNumber reads the number at b[i:] by the RFC 8259 §6 grammar
//
//	number = [ minus ] int [ frac ] [ exp ]
//	int    = zero / ( digit1-9 *DIGIT )
//	frac   = decimal-point 1*DIGIT
//	exp    = e [ minus / plus ] 1*DIGIT
//
// and returns the index after it, or ok == false if the text at b[i:] is
// not a number. It stops at the first byte that cannot extend the number;
// the caller decides whether that byte may follow one. small reports that
// the number is a whole count n of nanounits with |n| <= MaxInt64 (see
// Value), whatever its spelling.
//
// The digits are read once as ±mant × 10^exp: mant holds the first 19
// digits from the first nonzero one; later zero digits only move exp, and a
// later nonzero digit sets wide. A wide number has more than 19 significant
// digits, so it is no whole nanounit count within ±MaxInt64 (< 10^19).
func scanNumber(b []byte, i int) (nanos int64, small bool, end int, ok bool) {
	var (
		mant   uint64
		exp    int
		digits int // digits in mant from its first nonzero one
		wide   bool
		neg    = i < len(b) && b[i] == '-'
	)
	if neg {
		i++
	}
	if i >= len(b) {
		return 0, false, i, false
	}
	switch c := b[i]; {
	case c == '0': // int = zero: nothing to add to mant
		i++
	case c-'1' <= 8: // int = digit1-9 *DIGIT
		for ; i < len(b); i++ {
			c := b[i] - '0'
			if c > 9 {
				break
			}
			if digits < mantDigits {
				mant = mant*10 + uint64(c)
				digits++
			} else {
				wide = wide || c != 0
				exp++
			}
		}
	default:
		return 0, false, i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		fracStart := i
		for ; i < len(b); i++ {
			c := b[i] - '0'
			if c > 9 {
				break
			}
			if digits < mantDigits {
				mant = mant*10 + uint64(c)
				exp--
				if mant != 0 { // zeros before the first nonzero digit are not counted
					digits++
				}
			} else {
				wide = wide || c != 0
			}
		}
		if i == fracStart {
			return 0, false, i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		negExp := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			negExp = b[i] == '-'
			i++
		}
		digitsStart := i
		e := 0
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
			if e < maxExpPart {
				e = e*10 + int(b[i]-'0')
			}
		}
		if i == digitsStart {
			return 0, false, i, false
		}
		if negExp {
			e = -e
		}
		exp += e
	}
	if wide {
		return 0, false, i, true
	}
	nanos, small = scaleToNanos(mant, exp, neg)
	return nanos, small, i, true
}

// maxMantForScale[s] is the largest mant with mant × 10^s <= MaxInt64.
var maxMantForScale = func() (t [19]uint64) {
	for s := range t {
		t[s] = math.MaxInt64 / pow10u64[s]
	}
	return t
}()

// scaleToNanos returns ±mant × 10^exp in units of 1e-9 if that is a whole
// number n with |n| <= MaxInt64 (so -n never overflows and MinInt64 is
// never produced). mant < 10^19.
func scaleToNanos(mant uint64, exp int, neg bool) (n int64, ok bool) {
	if mant == 0 {
		return 0, true // 0, -0, 0e99, 0.000e-7 are all zero
	}
	var u uint64
	switch scale := exp + NanoDigits; {
	case scale >= 0:
		// mant >= 1, so scale > 18 exceeds MaxInt64 (about 9.2 × 10^18).
		if scale >= len(maxMantForScale) || mant > maxMantForScale[scale] {
			return 0, false
		}
		u = mant * pow10u64[scale]
	case scale >= -mantDigits:
		// Whole only if the digits past the nanounit are zeros; the
		// quotient is < 10^18, in range.
		p := pow10u64[-scale]
		if mant%p != 0 {
			return 0, false
		}
		u = mant / p
	default:
		return 0, false // 0 < mant < 10^19 is no multiple of 10^20 or more
	}
	n = int64(u)
	if neg {
		n = -n
	}
	return n, true
}

// bigValue checks a valid number that is not Small (text is its whole
// text) and returns it as a Text Value, or why "value" is unacceptable.
func bigValue(text []byte) (Value, *Error) {
	if len(text) > MaxNumberLen || !inFloat64Range(text) {
		return Value{}, ErrValueOutOfRange
	}
	return Value{Text: text}, nil
}

// The float64 limits as exact decimals, written 0.DIGITS × 10^exp.
//
// Overflow: MaxFloat64 is (2^53-1) × 2^971 and the next step would be 2^1024,
// so round-to-nearest-even sends every x >= 2^1024 - 2^970 (the midpoint,
// whose even neighbour is 2^1024) to ±Inf.
//
// Underflow: the smallest denormal is 2^-1074, so every 0 < x <= 2^-1075
// (the midpoint, whose even neighbour is 0) rounds to zero.
//
// TestFloat64Limits recomputes both with math/big.
const (
	overflowDigits = "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792"
	overflowExp    = 309

	underflowDigits = "24703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125"
	underflowExp    = -323
)

// inFloat64Range reports whether strconv.ParseFloat(text, 64) would give a
// finite float64 that is zero only if the number is zero, for text that
// scanNumber accepted. It compares decimal digits with the exact limits
// above, so it never allocates and never rounds.
func inFloat64Range(text []byte) bool {
	var n numberParts
	n.split(text)
	first := n.firstNonzero()
	if first < 0 {
		return true // zero in any spelling
	}
	// The value is 0.D × 10^e, D being the digits from the first nonzero one.
	e := len(n.intPart) - first + n.exp
	switch {
	case e > overflowExp || e < underflowExp:
		return false
	case e == overflowExp:
		return n.compareDigits(first, overflowDigits) < 0
	case e == underflowExp:
		return n.compareDigits(first, underflowDigits) > 0
	}
	return true
}

// numberParts is a grammatical number's text cut into its parts.
type numberParts struct {
	intPart, fracPart []byte
	exp               int // saturated at ±maxExpPart like scanNumber's
}

func (n *numberParts) split(text []byte) {
	i := 0
	if text[0] == '-' {
		i++
	}
	start := i
	for i < len(text) && text[i]-'0' <= 9 {
		i++
	}
	n.intPart = text[start:i]
	if i < len(text) && text[i] == '.' {
		start = i + 1
		for i = start; i < len(text) && text[i]-'0' <= 9; i++ {
		}
		n.fracPart = text[start:i]
	}
	if i < len(text) { // 'e' or 'E'
		i++
		neg := text[i] == '-'
		if text[i] == '+' || neg {
			i++
		}
		for ; i < len(text); i++ {
			if n.exp < maxExpPart {
				n.exp = n.exp*10 + int(text[i]-'0')
			}
		}
		if neg {
			n.exp = -n.exp
		}
	}
}

// digit returns digit k of the integer and fraction digits run together.
func (n *numberParts) digit(k int) byte {
	if k < len(n.intPart) {
		return n.intPart[k]
	}
	return n.fracPart[k-len(n.intPart)]
}

func (n *numberParts) digitCount() int { return len(n.intPart) + len(n.fracPart) }

// firstNonzero returns the index of the first nonzero digit, or -1.
func (n *numberParts) firstNonzero() int {
	for k := range n.digitCount() {
		if n.digit(k) != '0' {
			return k
		}
	}
	return -1
}

// compareDigits compares 0.D, D being the digits from index first on, with
// 0.limit, padding the shorter with zeros; it returns -1, 0 or +1.
func (n *numberParts) compareDigits(first int, limit string) int {
	count := n.digitCount() - first
	for k := range max(count, len(limit)) {
		var a, b byte = '0', '0'
		if k < count {
			a = n.digit(first + k)
		}
		if k < len(limit) {
			b = limit[k]
		}
		if a != b {
			if a < b {
				return -1
			}
			return 1
		}
	}
	return 0
}
