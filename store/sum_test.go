package store

import (
	"math"
	"math/big"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/onemrc/onemrc/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInt128AddInt64MatchesBig(t *testing.T) {
	tests := []struct {
		name string
		vals []int64
	}{
		{"carry out of the low word", []int64{math.MaxInt64, math.MaxInt64, math.MaxInt64, 3}},
		{"borrow into the high word", []int64{-1, -1, math.MinInt64, math.MinInt64, math.MinInt64}},
		{"back to zero", []int64{math.MaxInt64, math.MaxInt64, -math.MaxInt64, -math.MaxInt64}},
		{"cross zero both ways", []int64{5, -10, 5, math.MinInt64, math.MaxInt64, 1}},
	}
	r := rand.New(rand.NewPCG(7, 8))
	random := make([]int64, 10_000)
	for i := range random {
		random[i] = int64(r.Uint64())
	}
	tests = append(tests, struct {
		name string
		vals []int64
	}{"random full range", random})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var x int128
			want := new(big.Int)
			for _, v := range tc.vals {
				x.addInt64(v)
				want.Add(want, big.NewInt(v))
				require.Equal(t, want.String(), x.bigInt().String())
			}
			assert.Equal(t, want.Sign() < 0, x.isNeg())
			assert.Equal(t, want.Sign() == 0, x.isZero())
		})
	}
}

func TestInt128AddIsIntegerAddition(t *testing.T) {
	var a, b, sum int128
	vals := []int64{math.MinInt64, -3, math.MaxInt64, 99, math.MinInt64, -1}
	for i, v := range vals {
		sum.addInt64(v)
		if i%2 == 0 {
			a.addInt64(v)
		} else {
			b.addInt64(v)
		}
	}
	a.add(b)
	assert.Equal(t, sum, a)
}

// ratOf parses a decimal with math/big, the reference for exact sums.
func ratOf(t *testing.T, text string) *big.Rat {
	r, ok := new(big.Rat).SetString(text)
	require.True(t, ok, text)
	return r
}

// A slowSum copies what it is made from: the store's slow sum goes on changing.
func TestSlowSumSharesNothing(t *testing.T) {
	var a decimal.Decimal
	addText(&a, []byte("0.1"))
	c := newSlowSum(&a, 0)
	addText(&a, []byte("1"))
	assert.Equal(t, "1/10", c.dec.Rat().RatString())
}

func TestAddTextPanicsOnBrokenContract(t *testing.T) {
	for _, text := range []string{"", "1x", "1e400"} {
		assert.PanicsWithValue(t, "BUG: store: Value.Text is not an RFC 8259 number in float64 range", func() {
			var d decimal.Decimal
			addText(&d, []byte(text))
		})
	}
}

// refQuotient is num/den rounded by math/big, the reference.
func refQuotient(num int128, denHi, denLo uint64) float64 {
	f, _ := new(big.Rat).SetFrac(num.bigInt(), uint128Big(denHi, denLo)).Float64()
	return f
}

func TestRoundQuotientPaths(t *testing.T) {
	const e9 = nanosPerUnit
	tests := []struct {
		name         string
		num          int128
		denHi, denLo uint64
		want         float64
		path         quotientPath
	}{
		{"zero", int128{}, 0, e9, 0, quotientExact},
		{"1MRC sum", nanosOf(499_500_000), 0, e9, 499_500_000, quotientExact},
		{"1MRC avg", nanosOf(499_500_000), 0, e9 * 1_000_000, 499.5, quotientExact},
		{"1MRC+0.5 sum", nanosOf(500_000_000), 0, e9, 500_000_000, quotientExact},
		{"1MRC+0.5 avg", nanosOf(500_000_000), 0, e9 * 1_000_000, 500, quotientExact},
		{"negative", nanosOf(-3), 0, 2 * e9, -1.5, quotientExact},
		{"one third", nanosOf(1), 0, 3 * e9, 1.0 / 3, quotientExact},
		{"wide odd numerator", int128{lo: 1<<60 + 1}, 0, 3, 0, quotientDivide},
		// 2^53+1 lies exactly between two float64s: ties go to even.
		{"tie to even down", int128{lo: 1<<53 + 1}, 0, 1, 1 << 53, quotientDivide},
		{"tie to even up", int128{lo: (1<<53 + 3) * 3}, 0, 3, 1<<53 + 4, quotientDivide},
		// Just above the tie: the remainder alone must round up.
		{"sticky remainder", int128{lo: 3*(1<<53+1) + 2}, 0, 3, 1<<53 + 2, quotientDivide},
		{"128-bit numerator", int128{hi: 1 << 40, lo: 12345}, 0, 7, 0, quotientDivide},
		{"most negative", int128{hi: 1 << 63}, 0, 1, -math.Ldexp(1, 127), quotientExact},
		{"wide denominator", nanosOf(1), 1, 3, 0, quotientBig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, path := roundQuotient(tc.num, tc.denHi, tc.denLo)
			want := refQuotient(tc.num, tc.denHi, tc.denLo)
			if tc.want != 0 {
				require.Equal(t, tc.want, want, "test table disagrees with math/big")
			}
			assert.Equal(t, math.Float64bits(want), math.Float64bits(got), "got %v want %v", got, want)
			assert.Equal(t, tc.path, path)
		})
	}
}

// nanosOf returns whole units as an int128 of nanounits.
func nanosOf(units int64) int128 {
	hi, lo := bits.Mul64(uint64(max(units, -units)), nanosPerUnit)
	if units < 0 {
		var borrow uint64
		lo, borrow = bits.Sub64(0, lo, 0)
		hi, _ = bits.Sub64(0, hi, borrow)
	}
	return int128{hi: hi, lo: lo}
}

func TestRoundQuotientMatchesBigRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 200_000 {
		// Random widths exercise every branch: narrow and wide numerators,
		// denominators from 1 bit to 128.
		num := int128{hi: r.Uint64() >> r.UintN(65), lo: r.Uint64() >> r.UintN(65)}
		if num.isZero() {
			continue
		}
		var denHi, denLo uint64
		if i%8 == 0 {
			denHi = r.Uint64() >> r.UintN(65)
		}
		denLo = r.Uint64() >> r.UintN(64)
		if denHi|denLo == 0 {
			denLo = 1
		}
		if i%16 == 1 {
			// Sums of whole nanounits over request counts, as /stats divides.
			denHi, denLo = bits.Mul64(nanosPerUnit, r.Uint64N(1<<34)+1)
		}
		got, _ := roundQuotient(num, denHi, denLo)
		want := refQuotient(num, denHi, denLo)
		require.Equal(t, math.Float64bits(want), math.Float64bits(got), "%#v / %#x:%#x: got %v want %v", num, denHi, denLo, got, want)
	}
}

func FuzzRoundQuotient(f *testing.F) {
	f.Add(uint64(0), uint64(499_500_000_000_000_000), uint64(0), uint64(1_000_000_000_000_000))
	f.Add(uint64(0), uint64(1<<53+1), uint64(0), uint64(1))
	f.Add(uint64(1<<63), uint64(0), uint64(0), uint64(3))
	f.Add(uint64(12345), uint64(6789), uint64(1), uint64(0))
	f.Fuzz(func(t *testing.T, numHi, numLo, denHi, denLo uint64) {
		if denHi|denLo == 0 {
			t.Skip("division by zero")
		}
		num := int128{hi: numHi, lo: numLo}
		got, _ := roundQuotient(num, denHi, denLo)
		want := refQuotient(num, denHi, denLo)
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%#v / %#x:%#x: got %v want %v", num, denHi, denLo, got, want)
		}
	})
}
