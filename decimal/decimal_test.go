package decimal

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/event"
)

// num parses a JSON number the test knows to be valid.
func num(t testing.TB, text string) *Decimal {
	t.Helper()
	d, err := new(Decimal).SetNumber([]byte(text))
	require.NoError(t, err, text)
	return d
}

// ratOf parses a decimal with math/big, the reference.
func ratOf(t testing.TB, text string) *big.Rat {
	r, ok := new(big.Rat).SetString(text)
	require.True(t, ok, text)
	return r
}

func TestSetNumber(t *testing.T) {
	tests := []struct {
		text  string
		mant  string
		scale int
	}{
		{"0", "0", 0},
		{"-0", "0", 0},
		{"0.000e5", "0", 0},
		{"1", "1", 0},
		{"-7", "-7", 0},
		{"0.1", "1", -1},
		{"0.1234567891", "1234567891", -10},
		{"-12.50", "-1250", -2},
		{"12345678901234567890", "12345678901234567890", 0},
		{"1e300", "1", 300},
		{"1E+300", "1", 300},
		{"1e-300", "1", -300},
		{"-2.5e-3", "-25", -4},
		{"1.7976931348623157e308", "17976931348623157", 292},
		{"5e-324", "5", -324},
		{"1e0000000000000000000000000005", "1", 5},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			d := num(t, tc.text)
			assert.Equal(t, tc.mant, d.Mant().String())
			assert.Equal(t, tc.scale, d.Scale())
		})
	}
}

func TestSetNumberRejectsWhatTheDecoderNeverPasses(t *testing.T) {
	for _, text := range []string{"", "-", "+1", ".5", "1.", "1e", "1e+", "1x", "0x10", "1e400", "1e-999999999", "1e999999999999"} {
		t.Run(text, func(t *testing.T) {
			d := New(big.NewInt(7), -1)
			_, err := d.SetNumber([]byte(text))
			assert.ErrorIs(t, err, ErrNumber)
			assert.Equal(t, "7×10^-1", d.String(), "a rejected number leaves d as it was")
		})
	}
}

func TestAddExactInAnyOrder(t *testing.T) {
	texts := []string{"0.1", "0.2", "-0.3", "1e300", "-1e300", "1e-300", "12345678901234567890", "0.1234567891",
		"1.7976931348623157e308", "-5e-324", "3.14159265358979323846264338327950288", "0", "-2.5e-3"}
	want := new(big.Rat)
	for _, s := range texts {
		want.Add(want, ratOf(t, s))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		var d Decimal
		for _, i := range r.Perm(len(texts)) {
			d.Add(num(t, texts[i]))
		}
		require.Equal(t, want.RatString(), d.Rat().RatString())
	}
	// Split into two partial sums, merged: the shape of shards and of nodes.
	var a, b Decimal
	for i, s := range texts {
		if i%3 == 0 {
			a.Add(num(t, s))
		} else {
			b.Add(num(t, s))
		}
	}
	a.Add(&b)
	assert.Equal(t, want.RatString(), a.Rat().RatString())
}

func TestAddTakesTheFinerScale(t *testing.T) {
	tests := []struct {
		a, b  string
		mant  string
		scale int
	}{
		{"1.5", "2", "35", -1},
		{"1.5", "3e2", "3015", -1},
		{"0", "-1e-9", "-1", -9},
		{"2", "1.5", "35", -1},
		{"1e3", "1e2", "11", 2},
		{"0", "1.25", "125", -2}, // a zero operand sets no scale
		{"1.25", "0", "125", -2},
		{"0.1", "-0.10", "0", -2}, // a sum that cancels keeps its scale
	}
	for _, tc := range tests {
		d := new(Decimal).Set(num(t, tc.a)).Add(num(t, tc.b))
		assert.Equal(t, tc.mant, d.Mant().String(), "%s + %s", tc.a, tc.b)
		assert.Equal(t, tc.scale, d.Scale(), "%s + %s", tc.a, tc.b)
	}
}

func TestCancelsToZero(t *testing.T) {
	var d Decimal
	d.Add(num(t, "1e300"))
	d.Add(num(t, "-1e300"))
	assert.True(t, d.IsZero())
	d.Add(num(t, "2.5"))
	assert.Equal(t, "5/2", d.Rat().RatString())
}

func TestSetAndNewCopy(t *testing.T) {
	m := big.NewInt(5)
	d := New(m, -1)
	m.SetInt64(6)
	assert.Equal(t, "5×10^-1", d.String(), "New copies mant")
	var c Decimal
	c.Set(d)
	d.Add(num(t, "1"))
	assert.Equal(t, "5×10^-1", c.String(), "Set shares nothing")
	assert.Equal(t, "0×10^0", New(nil, 0).String())
}

func TestSetBinary(t *testing.T) {
	var d Decimal
	d.SetBinary(-1, []byte{1, 0}, -3)
	assert.Equal(t, "-256×10^-3", d.String())
	d.SetBinary(0, nil, 5)
	assert.True(t, d.IsZero())
	assert.Equal(t, 5, d.Scale())
	d.SetBinary(1, []byte{7}, 0)
	assert.Equal(t, 1, d.Sign())
}

func TestInt(t *testing.T) {
	n, ok := New(big.NewInt(-15), -1).Int(-9)
	require.True(t, ok)
	assert.Equal(t, "-1500000000", n.String())
	_, ok = New(big.NewInt(1), -10).Int(-9)
	assert.False(t, ok, "finer than 1e-9")
	n, ok = New(big.NewInt(12000), -3).Int(0)
	require.True(t, ok)
	assert.Equal(t, "12", n.String())
}

func TestCmp(t *testing.T) {
	assert.Zero(t, num(t, "1.0").Cmp(num(t, "1")))
	assert.Equal(t, -1, num(t, "0.999").Cmp(num(t, "1")))
	assert.Equal(t, 1, num(t, "-1e-300").Cmp(num(t, "-1e-299")))
}

// The bounds are what their derivation says.
func TestBounds(t *testing.T) {
	widest := new(big.Int).Lsh(Pow10(MaxScale+1-MinScale), 64)
	assert.Equal(t, MaxMantBits, widest.BitLen())
	top := new(big.Int).Lsh(big.NewInt(1), MaxMantBits)
	assert.Len(t, top.Sub(top, big.NewInt(1)).String(), MaxMantDigits)
	assert.Equal(t, -911, MinScale)

	// The finest and the largest numbers the decoder passes on are within them.
	finest := "-2." + strings.Repeat("9", event.MaxNumberLen-8) + "e-324"
	require.Len(t, finest, event.MaxNumberLen)
	assert.NoError(t, num(t, finest).Check())
	assert.NoError(t, num(t, "1.7976931348623157e308").Check())
}

func TestCheck(t *testing.T) {
	tooWide := new(big.Int).Lsh(big.NewInt(1), MaxMantBits) // one bit too many
	tests := []struct {
		name  string
		mant  *big.Int
		scale int
		want  string
	}{
		{"scale below", big.NewInt(1), MinScale - 1, "sum scale -912 outside [-911, 309]"},
		{"scale above", big.NewInt(1), MaxScale + 1, "sum scale 310 outside [-911, 309]"},
		{"scale of zero above", big.NewInt(0), MaxScale + 1, "sum scale 310 outside [-911, 309]"},
		{"mantissa too wide", tooWide, 0, "sum mantissa of 4122 bits exceeds 4121"},
		{"negative mantissa too wide", new(big.Int).Neg(tooWide), -9, "sum mantissa of 4122 bits exceeds 4121"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.EqualError(t, New(tc.mant, tc.scale).Check(), tc.want)
		})
	}
	var nilD *Decimal
	assert.NoError(t, nilD.Check())
	for _, scale := range []int{MinScale, MaxScale} {
		assert.NoError(t, New(big.NewInt(-3), scale).Check())
	}
}

func TestParse(t *testing.T) {
	widest := new(big.Int).Lsh(big.NewInt(1), MaxMantBits)
	widest.Sub(widest, big.NewInt(1))
	for _, in := range [][2]string{{"-" + widest.String(), "-911"}, {"7", "309"}, {"0", "0"}, {"-123", "-9"}} {
		d, err := Parse(in[0], in[1])
		require.NoError(t, err, in)
		assert.Equal(t, in[0], d.Mant().String())
		assert.Equal(t, in[1], itoa(d.Scale()))
	}
	tests := []struct{ mant, scale, want string }{
		{"1" + widest.String(), "0", "sum mantissa of 4123 bits exceeds 4121"},
		{"12" + widest.String(), "0", "mant of 1243 bytes exceeds 1242"},
		{"12x", "0", `mant "12x" is not a decimal integer`},
		{"1", "x", "scale: "},
		{"1", "310", "sum scale 310 outside"},
		{"1", "-1000000000", "sum scale -1000000000 outside"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.mant, tc.scale)
		require.Error(t, err, tc)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }
