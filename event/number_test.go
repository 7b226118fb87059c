package event

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// numberGolden pins the Small conversion: text -> (Nanos, Small).
var numberGolden = []struct {
	text  string
	nanos int64
	small bool
}{
	{"0", 0, true},
	{"-0", 0, true},
	{"0.0", 0, true},
	{"-0.000000000000", 0, true},
	{"0e5", 0, true},
	{"0E-5", 0, true},
	{"0.0e99999999999999999999999", 0, true},
	{"1", 1e9, true},
	{"345", 345e9, true},
	{"345.0", 345e9, true},
	{"0.5", 5e8, true},
	{"-12.25", -12_250_000_000, true},
	{"1.5e2", 150e9, true},
	{"15E1", 150e9, true},
	{"15e+1", 150e9, true},
	{"1500e-1", 150e9, true},
	{"100", 100e9, true},
	{"100.5", 100_500_000_000, true},
	{"10.01", 10_010_000_000, true},
	{"1e-9", 1, true},
	{"-0.000000001", -1, true},
	{"0.1e-8", 1, true},
	{"0.000000001000", 1, true},
	{"1.50000000000", 1_500_000_000, true},
	{"1.0000000000000000000000000", 1e9, true},
	{"123456789.123456789", 123456789123456789, true},
	{"1234567890.123456789", 1234567890123456789, true},
	{"1e9", 1e18, true},
	{"100000000000000000000000000000e-20", 1e18, true},
	{"9223372036", 9223372036e9, true},
	// The MaxInt64 boundary, from every side and in several spellings.
	{"9223372036.854775807", math.MaxInt64, true},
	{"-9223372036.854775807", -math.MaxInt64, true},
	{"9223372036854775807e-9", math.MaxInt64, true},
	{"9.223372036854775807e9", math.MaxInt64, true},
	{"92233720368547758070e-10", math.MaxInt64, true},
	{"9223372036.8547758070000000000000", math.MaxInt64, true},
	{"9223372036.854775806", math.MaxInt64 - 1, true},
	{"9223372036.854775808", 0, false},
	{"-9223372036.854775808", 0, false}, // MinInt64 nanos: |n| > MaxInt64
	{"9223372037", 0, false},
	{"18446744073.709551615", 0, false},
	{"18446744073.709551616", 0, false},
	{"99999999999999999999", 0, false},
	{"1e10", 0, false},
	{"1e19", 0, false},
	{"1e400", 0, false},
	// Not a whole number of nanounits.
	{"0.1e-9", 0, false},
	{"1500e-12", 0, false},
	{"0.0000000001", 0, false},
	{"1.0000000001", 0, false},
	{"1.0000000000000000000000001", 0, false},
	{"1e-400", 0, false},
}

func TestNumberGolden(t *testing.T) {
	for _, tc := range numberGolden {
		t.Run(tc.text, func(t *testing.T) {
			nanos, small, end, ok := scanNumber([]byte(tc.text), 0)
			require.True(t, ok)
			require.Equal(t, len(tc.text), end)
			assert.Equal(t, tc.small, small)
			assert.Equal(t, tc.nanos, nanos)
			if small { // cross-check with exact arithmetic
				assert.Zero(t, exactRat(t, tc.text).Cmp(big.NewRat(nanos, 1e9)), "nanos %d != %s", nanos, tc.text)
			}
		})
	}
}

// TestNumberGrammar checks where scanNumber stops and what it refuses.
func TestNumberGrammar(t *testing.T) {
	stops := []struct {
		text string
		end  int
	}{
		{"0", 1}, {"-0", 2}, {"01", 1}, {"00", 1}, {"1.5e2x", 5}, {"12}", 2},
		{"1,", 1}, {"0x10", 1}, {"1e5.5", 3}, {"1.5.5", 3}, {"5 ", 1}, {"-1E-0]", 5},
	}
	for _, tc := range stops {
		_, _, end, ok := scanNumber([]byte(tc.text), 0)
		assert.True(t, ok, tc.text)
		assert.Equal(t, tc.end, end, tc.text)
	}
	for _, text := range []string{"", "-", "+5", ".5", "5.", "-.5", "1e", "1e+", "1E-", "1.e5", "-a", "e5", "--1"} {
		_, _, _, ok := scanNumber([]byte(text), 0)
		assert.False(t, ok, "%q", text)
	}
}

// parseFloatInRange is the definition inFloat64Range implements.
func parseFloatInRange(text string) bool {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !math.IsInf(f, 0) {
		panic(fmt.Sprintf("ParseFloat(%q): %v", text, err))
	}
	if math.IsInf(f, 0) {
		return false
	}
	mantissa, _, _ := strings.Cut(strings.ToLower(text), "e")
	return f != 0 || strings.Trim(mantissa, "-0.") == ""
}

func TestFloat64Range(t *testing.T) {
	texts := []string{
		"0", "-0", "0e999999999999", "1", "-1e308", "1e308", "9.99e308", "1e309", "-1e309",
		"1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
		"-1.797693134862315807937289714053e308", "1.797693134862315807937289714054e308",
		overflowDigits, "-" + overflowDigits, "0." + overflowDigits + "e309",
		overflowDigits[:len(overflowDigits)-1] + "1", overflowDigits + ".0000000001",
		"4.9e-324", "5e-324", "3e-324", "2.5e-324", "2.4e-324", "1e-324", "1e-323", "9.99e-324",
		"2.4703282292062327e-324", "2.4703282292062328e-324", "-2.4703282292062328e-324",
		"0." + underflowDigits + "e-323", "0." + underflowDigits[:500] + "e-323",
		"0." + underflowDigits[:499] + "9e-323", "0.00000" + underflowDigits[:400] + "e-318",
		"1e-400", "1e-99999999999999999999", "1e99999999999999999999", "-0.0e-99999",
		"123456789012345678901234567890", "0.000001e-317", "100000e303", "100000e304",
	}
	for _, text := range texts {
		assert.Equal(t, parseFloatInRange(text), inFloat64Range([]byte(text)), "%.60s", text)
	}
}

// TestFloat64RangeRandom compares with strconv.ParseFloat on random numbers
// near both limits, where the digit comparison decides.
func TestFloat64RangeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	outcomes := map[bool]int{}
	for range 20000 {
		limit := overflowDigits
		exp := overflowExp
		if rng.IntN(2) == 0 {
			limit, exp = underflowDigits, underflowExp
		}
		// Start from a prefix of the limit, then perturb its last digits.
		digits := []byte(limit[:1+rng.IntN(40)])
		for k := range rng.IntN(3) {
			digits[len(digits)-1-k%len(digits)] = byte('0' + rng.IntN(10))
		}
		if digits[0] == '0' {
			digits[0] = '1'
		}
		intLen := rng.IntN(len(digits) + 1)
		text := string(digits[:intLen])
		if intLen == 0 {
			text = "0"
		}
		if intLen < len(digits) {
			text += "." + string(digits[intLen:])
		}
		text += "e" + strconv.Itoa(exp-max(intLen, 1)+boolInt(intLen == 0)+rng.IntN(3)-1)
		want := parseFloatInRange(text)
		assert.Equal(t, want, inFloat64Range([]byte(text)), text)
		outcomes[want]++
	}
	assert.Greater(t, outcomes[true], 5000, "cases in range")
	assert.Greater(t, outcomes[false], 5000, "cases out of range")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestFloat64Limits recomputes the limit constants with math/big.
func TestFloat64Limits(t *testing.T) {
	one := big.NewInt(1)
	over := new(big.Int).Sub(new(big.Int).Lsh(one, 1024), new(big.Int).Lsh(one, 970))
	assert.Equal(t, over.String(), overflowDigits)
	assert.Len(t, overflowDigits, overflowExp)

	five := new(big.Int).Exp(big.NewInt(5), big.NewInt(1075), nil) // 2^-1075 = 5^1075 / 10^1075
	assert.Equal(t, five.String(), underflowDigits)
	assert.Equal(t, len(underflowDigits)-1075, underflowExp)

	// The limits are the rounding midpoints: just below / above them rounds the other way.
	assert.True(t, inFloat64Range([]byte("0."+overflowDigits+"e309")) == false)
	assert.Equal(t, math.MaxFloat64, mustParseFloat(t, overflowDigits[:300]+"e9"))
}

func mustParseFloat(t *testing.T, s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err)
	return f
}

func TestBigValue(t *testing.T) {
	v, err := bigValue([]byte("1e-20"))
	assert.Nil(t, err)
	assert.Equal(t, Value{Text: []byte("1e-20")}, v)

	longest := "1." + strings.Repeat("0", MaxNumberLen-3) + "1"
	v, err = bigValue([]byte(longest))
	assert.Nil(t, err)
	assert.Len(t, v.Text, MaxNumberLen, "512 bytes is the longest accepted")

	_, err = bigValue([]byte(longest + "1"))
	assert.Same(t, ErrValueOutOfRange, err)
	_, err = bigValue([]byte("-1e309"))
	assert.Same(t, ErrValueOutOfRange, err)
}

// exactRat is the exact value of a JSON number text. Zero is answered
// without big.Rat, which refuses a huge exponent even on a zero mantissa.
func exactRat(t testing.TB, text string) *big.Rat {
	mantissa, _, _ := strings.Cut(strings.ToLower(text), "e")
	if strings.Trim(mantissa, "-0.") == "" {
		return new(big.Rat)
	}
	r, ok := new(big.Rat).SetString(text)
	require.True(t, ok, "big.Rat refuses %.80s", text)
	return r
}
