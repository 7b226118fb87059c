package httpparse

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func skipValueBytesPlain(b []byte, i int) int {
	for i < len(b) && isValue(b[i]) {
		i++
	}
	return i
}

// TestSkipValueBytes compares the word-at-a-time scan with the plain loop
// for every byte value at every offset of a word, and on random inputs.
func TestSkipValueBytes(t *testing.T) {
	base := []byte("abcdefghijklmnopqrstuvwxyz0123456789")
	for pos := 0; pos < 20; pos++ {
		for c := 0; c < 256; c++ {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			for start := 0; start <= pos; start++ {
				require.Equal(t, skipValueBytesPlain(b, start), skipValueBytes(b, start), "byte %#x at %d from %d", c, pos, start)
				require.Equal(t, skipValueBytesPlain(b[:pos+1], start), skipValueBytes(b[:pos+1], start))
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{'\t', ' ', 'a', 0x7f, 0x80, 0xff, 0x00, 0x1f, 0x20, 0x21, 0x7e, '\r', '\n'}
	for n := 0; n < 20000; n++ {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			if rng.IntN(4) == 0 {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[i] = byte(rng.IntN(256))
			}
		}
		start := 0
		if len(b) > 0 {
			start = rng.IntN(len(b) + 1)
		}
		require.Equal(t, skipValueBytesPlain(b, start), skipValueBytes(b, start), "%q from %d", b, start)
	}
}

// TestSkipTokenBytes compares the letter-word scan with the table loop for
// every byte value at every offset of a word, and on random inputs.
func TestSkipTokenBytes(t *testing.T) {
	base := []byte("Content-Length-Accept-Encoding")
	for pos := 0; pos < 20; pos++ {
		for c := 0; c < 256; c++ {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			for start := 0; start <= pos; start++ {
				require.Equal(t, skipClassPlain(b, start, classToken), skipTokenBytes(b, start), "byte %#x at %d from %d", c, pos, start)
				require.Equal(t, skipClassPlain(b[:pos+1], start, classToken), skipTokenBytes(b[:pos+1], start))
			}
		}
	}
	for c := 0; c < 256; c++ {
		x := uint64(c) * swarOnes
		want := uint64(0)
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
			want = swarHighs
		}
		require.Equal(t, want, notLetterOrDash(x), "%#x", c)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte{'-', ':', 'a', 'Z', '0', '_', 0xad, 0xc1, 0xe1, 0x7f, ' ', '\r', '@', '`', '{', '[', 0x40, 0x5b}
	for n := 0; n < 20000; n++ {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			if rng.IntN(3) == 0 {
				b[i] = byte(rng.IntN(256))
			} else {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		start := rng.IntN(len(b) + 1)
		require.Equal(t, skipClassPlain(b, start, classToken), skipTokenBytes(b, start), "%q from %d", b, start)
	}
}

// TestLoad64 checks load64 against encoding/binary at every offset where
// eight bytes fit, including the last one.
func TestLoad64(t *testing.T) {
	b := make([]byte, 40)
	for i := range b {
		b[i] = byte(0x80 + 7*i)
	}
	for i := 0; i+8 <= len(b); i++ {
		require.Equal(t, binary.LittleEndian.Uint64(b[i:]), load64(b, i), "offset %d", i)
		require.Equal(t, binary.LittleEndian.Uint64(b[i:i+8]), load64(b[:i+8], i), "offset %d, at the end", i)
	}
}
