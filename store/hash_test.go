package store

import (
	"encoding/binary"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUserHasherSameBytesSameKey(t *testing.T) {
	h := newUserHasher([2]uint64{1, 2})
	for _, id := range []string{"u", "user_1", "user_12345", "user\u00e9", "0123456789abcdef", "0123456789abcdefg", string(make([]byte, 4096))} {
		a := h.sum([]byte(id))
		b := h.sum(append([]byte(nil), id...)) // different backing array, same bytes
		assert.Equal(t, a, b, "id %q", id)
		h2 := newUserHasher([2]uint64{1, 2})
		assert.Equal(t, a, h2.sum([]byte(id)), "a hasher rebuilt from the same seed must agree (restoring a snapshot)")
		assert.NotEqual(t, userKey{}, a)
	}
}

func TestUserHasherKeyedBySeed(t *testing.T) {
	seeds := [][2]uint64{{0, 0}, {1, 0}, {0, 1}, {1, 1}, {2, 0}, {^uint64(0), ^uint64(0)}}
	for _, id := range []string{"", "a", "user_1", "user_12345678901234567890"} {
		seen := map[uint64]int{}
		for i, seed := range seeds {
			h := newUserHasher(seed)
			k := h.sum([]byte(id))
			// Each lane on its own must depend on the seed, or a client
			// could collide that lane without knowing it.
			for lane, w := range []uint64{k.a, k.b} {
				prev, dup := seen[w]
				require.False(t, dup, "id %q: seeds %d and %d share lane %d word %#x", id, prev, i, lane, w)
				seen[w] = i
			}
		}
	}
}

// Every byte position and every bit of inputs of every length up to 40
// reaches the key: flipping any one bit, or adding a trailing zero byte,
// gives a new key. This covers the 16-byte rounds and every tail shape.
func TestUserHasherEveryBitAndLengthMatters(t *testing.T) {
	h := newUserHasher([2]uint64{0x1234, 0x5678})
	seen := map[userKey]string{}
	add := func(b []byte) {
		k := h.sum(b)
		prev, dup := seen[k]
		require.False(t, dup, "%x and %s collide", b, prev)
		seen[k] = strconv.Quote(string(b))
	}
	for n := 0; n <= 40; n++ {
		base := make([]byte, n)
		add(base)
		for i := range n * 8 {
			b := slices.Clone(base)
			b[i/8] ^= 1 << (i % 8)
			add(b)
		}
	}
	require.Len(t, seen, 41+8*40*41/2)
}

// The standard run's ids and far more: 2M "user_N" ids give 2M distinct
// keys, and neither lane alone collides either.
func TestUserHasherNoCollisionsOverUserIDs(t *testing.T) {
	n := 2_000_000
	if testing.Short() {
		n = 200_000
	}
	h := newUserHasher([2]uint64{42, 43})
	lane0 := make([]uint64, n)
	lane1 := make([]uint64, n)
	buf := []byte("user_")
	for i := range n {
		k := h.sum(strconv.AppendInt(buf[:5], int64(i), 10))
		lane0[i], lane1[i] = k.a, k.b
	}
	for lane, words := range [][]uint64{lane0, lane1} {
		slices.Sort(words)
		for i := 1; i < len(words); i++ {
			require.NotEqual(t, words[i-1], words[i], "lane %d collides", lane)
		}
	}
}

// No public 16-byte block resets a lane: with public constants XORed into
// the data words, the block whose words equal them would zero both products
// and make every pair of equal-length ids ending in it collide.
func TestUserHasherNoPublicResetBlock(t *testing.T) {
	h := newUserHasher([2]uint64{7, 8})
	consts := []uint64{0, hashA0, hashA1, hashA2, hashB0, hashB1, hashB2}
	for _, w0 := range consts {
		for _, w1 := range consts {
			block := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, w0), w1)
			x := append(append([]byte("xxxxxxxxxxxxxxxx"), block...), "tail"...)
			y := append(append([]byte("yyyyyyyyyyyyyyyy"), block...), "tail"...)
			kx, ky := h.sum(x), h.sum(y)
			assert.NotEqual(t, kx.a, ky.a, "block %#x %#x resets lane a", w0, w1)
			assert.NotEqual(t, kx.b, ky.b, "block %#x %#x resets lane b", w0, w1)
		}
	}
}
