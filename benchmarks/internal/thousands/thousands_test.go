package thousands

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestInt(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 10_000_000: "10,000,000", -1234: "-1,234", -999: "-999"} {
		assert.Equal(t, want, Int(n))
	}
}

func TestUint(t *testing.T) {
	for v, want := range map[uint64]string{0: "0", 999: "999", 1000: "1,000", 1_000_000: "1,000,000", 12_345_678: "12,345,678"} {
		assert.Equal(t, want, Uint(v))
	}
}

func TestGroupKeepsWhatItIsGiven(t *testing.T) {
	for s, want := range map[string]string{"": "", "-0": "-0", "343167": "343,167", "-1234567": "-1,234,567"} {
		assert.Equal(t, want, Group(s))
	}
}
