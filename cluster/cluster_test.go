package cluster

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseView(t *testing.T) {
	unique, nodes, err := parseView([]any{"OK", int64(7), "a", "10", "-15", "-1", "b", "3", "2", "0"})
	require.NoError(t, err)
	assert.Equal(t, uint64(7), unique)
	require.Len(t, nodes, 2)
	assert.Equal(t, "a", nodes[0].node)
	assert.Equal(t, uint64(10), nodes[0].count)
	assert.Equal(t, "-15", nodes[0].mant.String())
	assert.Equal(t, -1, nodes[0].scale)

	_, _, err = parseView([]any{"EPOCH"})
	assert.ErrorIs(t, err, errEpoch)
	for _, bad := range [][]any{{}, {"OK"}, {"OK", int64(1), "a"}, {"OK", int64(1), "a", "x", "1", "0"}, {"OK", int64(-1)}} {
		_, _, err = parseView(bad)
		assert.Error(t, err, "%v", bad)
	}
}

func TestAddDecimalIsExact(t *testing.T) {
	m, s := addDecimal(big.NewInt(15), -1, big.NewInt(3), 2) // 1.5 + 300
	assert.Equal(t, "3015", m.String())
	assert.Equal(t, -1, s)
	m, s = addDecimal(new(big.Int), 0, big.NewInt(-1), -9)
	assert.Equal(t, "-1", m.String())
	assert.Equal(t, -9, s)
}

func TestSeedRoundTrip(t *testing.T) {
	seed := [2]uint64{0xdeadbeef, 42}
	got, err := decodeSeed(encodeSeed(seed))
	require.NoError(t, err)
	assert.Equal(t, seed, got)
	_, err = decodeSeed("zz")
	assert.Error(t, err)
	assert.Len(t, userMember([2]uint64{1, 2}), 16)
}
