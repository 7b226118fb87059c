package httpparse

import (
	"math/bits"
)

// Word-at-a-time ("SWAR") scanning of field names and values: eight bytes
// are tested with a few integer operations instead of eight table lookups.
// Each is benchmarked against the plain table loop (tricks_timing_test.go)
// and kept because it wins on the field lines of real clients.
const (
	swarOnes  = 0x0101010101010101
	swarHighs = 0x8080808080808080
)

// skipValueBytes returns the index of the first byte at or after i that is
// not a field-value byte (classValue: VCHAR, obs-text, SP, HTAB), exactly as
// the plain loop `for i < len(b) && isValue(b[i]) { i++ }` would.
//
// For a word x, (x - 0x20 in every byte) &^ x, masked to the high bits, flags
// the bytes below 0x20; the same test on x ^ 0x7f.. against 0x01 flags 0x7f
// bytes. Bytes >= 0x80 (obs-text) are never flagged, their high bit being
// cleared by &^ x. A borrow can only leave a byte that is itself flagged, so
// the lowest flagged byte (the first in memory, little-endian) is exact; the
// flags above it may be spurious and are never used. Only HTAB among the
// flagged bytes is a value byte.
func skipValueBytes(b []byte, i int) int {
	for i+8 <= len(b) {
		flags := controlOrDel(load64(b, i))
		if flags == 0 {
			i += 8
			continue
		}
		i += bits.TrailingZeros64(flags) >> 3
		if b[i] != '\t' {
			return i
		}
		i++
	}
	for i < len(b) && isValue(b[i]) {
		i++
	}
	return i
}

// controlOrDel flags (with 0x80) the bytes of x below 0x20 or equal to
// 0x7f, the bytes no field-value holds but HTAB. Only the lowest flag (the
// first byte in memory) is exact: see skipValueBytes.
func controlOrDel(x uint64) uint64 {
	y := x ^ 0x7f*swarOnes
	return ((x-0x20*swarOnes)&^x | (y-swarOnes)&^y) & swarHighs
}

// skipTokenBytes returns the index of the first byte at or after i that is
// not a tchar, exactly as skipClass(b, i, classToken) would. Field names
// are nearly always letters and "-" only: whole words of those are skipped
// with integer arithmetic, and the first other byte is found directly; only
// when that byte is a tchar too (a digit, "_", ...) does the table loop take
// over. (For methods, a word is no gain: they are mostly 3 or 4 letters.)
func skipTokenBytes(b []byte, i int) int {
	for i+8 <= len(b) {
		if other := notLetterOrDash(load64(b, i)); other != 0 {
			i += bits.TrailingZeros64(other) >> 3
			if !isToken(b[i]) {
				return i
			}
			return skipClass(b, i+1, classToken)
		}
		i += 8
	}
	return skipClass(b, i, classToken)
}

// notLetterOrDash flags (with 0x80) every byte of x that is neither an ASCII
// letter nor "-". Every byte is tested on its low seven bits, so no sum
// exceeds 0xfe and no carry crosses into the next byte: each flag is exact.
// Setting bit 0x20 maps 'A'-'Z' onto 'a'-'z' and no other byte into that range.
func notLetterOrDash(x uint64) uint64 {
	low := x &^ swarHighs
	folded := low | 0x20*swarOnes
	atLeastA := folded + (0x80-'a')*swarOnes        // high bit set iff folded >= 'a'
	aboveZ := folded + (0x80-'z'-1)*swarOnes        // high bit set iff folded > 'z'
	notDash := (low ^ '-'*swarOnes) + 0x7f*swarOnes // high bit set iff low != '-'
	ok := (atLeastA&^aboveZ | ^notDash) &^ x        // &^ x: bytes >= 0x80 are never ok
	return ^ok & swarHighs
}

// notPathBytes flags (with 0x80) every byte of x that is not a path byte
// (classPath: VCHAR %x21-7E but "#" and "?"). Every byte is tested on its
// low seven bits, so no sum exceeds 0xfe and no carry crosses into the next
// byte: each flag is exact. Bytes >= 0x80 are flagged by their own high bit.
func notPathBytes(x uint64) uint64 {
	low := x &^ swarHighs
	belowBang := ^(low + (0x80-0x21)*swarOnes)          // high bit set iff low < 0x21
	del := low + swarOnes                               // high bit set iff low == 0x7f
	hash := ^((low ^ '#'*swarOnes) + 0x7f*swarOnes)     // high bit set iff low == '#'
	question := ^((low ^ '?'*swarOnes) + 0x7f*swarOnes) // high bit set iff low == '?'
	return (belowBang | del | hash | question | x) & swarHighs
}
