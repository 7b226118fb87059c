package store

import (
	"encoding/binary"
	"math/bits"
)

// userKey is the 128-bit keyed hash of an unescaped user id: the only thing
// the store keeps about a user. Two uint64 and no pointers, so a set of
// millions of keys is one flat allocation the garbage collector never scans.
// A struct rather than [2]uint64 because Go passes and returns structs of
// words in registers, and arrays of more than one element in memory.
//
// Invariant: a key produced by userHasher is never the all-zero key, which
// keySet reserves for empty slots (see keySet).
type userKey struct {
	a, b uint64 // the two hash lanes
}

// userHasher maps user ids to userKeys. It is keyed by the store's seed so
// that a client who does not know the seed cannot craft two ids that collide
// (a collision would merge two users into one). Each of the two 64-bit lanes
// is its own multiply-fold hash with its own secrets; a false merge needs
// both lanes to collide at once.
//
// Every product has a secret in each operand: the data word is XORed with a
// per-lane secret, and the other operand carries the secret running state.
// With public constants in their place, a client could send the word that
// zeroes a product and reset a lane to a known state, colliding every id
// sharing the suffix, whatever the seed.
//
// It is not a cryptographic MAC: it resists blind collision search, which is
// all the unique-user count needs. Build it with newUserHasher.
type userHasher struct {
	startA, startB   uint64 // initial lane states
	secretA, secretB uint64 // XORed into every data word
}

// Odd 64-bit constants with balanced bits, used only to spread the seed
// (and the length) over all 64 bits; they are public, so never the only
// thing standing between client bytes and a multiplier.
const (
	hashA0 = 0xa0761d6478bd642f
	hashA1 = 0xe7037ed1a0b428db
	hashA2 = 0x8ebc6af09c88c6e3
	hashB0 = 0x589965cc75374cc3
	hashB1 = 0x1d8e4e27c47d124f
	hashB2 = 0x9e3779b97f4a7c15
)

func newUserHasher(seed [2]uint64) userHasher {
	// Derive four words from the seed so that nearby seeds (0 and 1) give
	// unrelated secrets.
	startA := foldMul(seed[0]^hashA0, seed[1]^hashA1)
	startB := foldMul(seed[1]^hashB0, seed[0]^hashB1)
	return userHasher{
		startA:  startA,
		startB:  startB,
		secretA: foldMul(startA^hashA2, startB^hashB0),
		secretB: foldMul(startB^hashB2, startA^hashA0),
	}
}

// foldMul multiplies to 128 bits and folds the halves: every input bit
// reaches the middle output bits, and it costs one MUL.
func foldMul(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// sum returns the key of id. Same bytes, same seed -> same key; the length
// is mixed in, so ids that differ only by trailing zero bytes differ.
//
// Input is read as little-endian words: 16 bytes per round, then a tail of
// 0..16 bytes read with overlapping loads (the tail always covers every byte
// it holds, and the length disambiguates the overlap).
func (h *userHasher) sum(id []byte) userKey {
	n := uint64(len(id))
	a, b := h.startA, h.startB
	p := id
	for len(p) > 16 {
		w0 := binary.LittleEndian.Uint64(p)
		w1 := binary.LittleEndian.Uint64(p[8:])
		a = foldMul(w0^h.secretA, w1^a)
		b = foldMul(w1^h.secretB, w0^b)
		p = p[16:]
	}
	var w0, w1 uint64
	switch m := len(p); {
	case m >= 8:
		w0 = binary.LittleEndian.Uint64(p)
		w1 = binary.LittleEndian.Uint64(p[m-8:])
	case m >= 4:
		w0 = uint64(binary.LittleEndian.Uint32(p))
		w1 = uint64(binary.LittleEndian.Uint32(p[m-4:]))
	case m > 0:
		// 1..3 bytes: first, middle and last cover them all.
		w0 = uint64(p[0])<<16 | uint64(p[m>>1])<<8 | uint64(p[m-1])
	}
	a = foldMul(hashA2^n, foldMul(w0^h.secretA, w1^a))
	b = foldMul(hashB2^n, foldMul(w1^h.secretB, w0^b))
	if a|b == 0 {
		// Keep the reserved empty-slot key out of the sets. Mapping one
		// key in 2^128 onto another costs nothing measurable in accuracy.
		a = 1
	}
	return userKey{a, b}
}
