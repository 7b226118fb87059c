package event

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// Strings, RFC 8259 §7: read with a word-at-a-time scan for the bytes that need a
// look, validated as UTF-8, and unescaped into the Decoder's scratch only when
// they hold an escape.

// plainStringByte marks the bytes a string holds as themselves with no
// further look (RFC 8259 §7): printable ASCII except '"' and '\\'. Control
// bytes (< 0x20) are invalid raw; bytes >= 0x80 start UTF-8 sequences that
// must be valid (RFC 8259 §8.1).
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Word-at-a-time byte tests (SWAR): for a little-endian word, a mask whose
// lowest set bit lies in the first byte that matches. Borrows run only
// upward from a matching byte, so higher bits may be false alarms but the
// lowest one never is.
const (
	eachByte = 0x0101010101010101
	highBits = 0x8080808080808080
)

// specialByteMask flags the bytes of x that are not plainStringByte.
func specialByteMask(x uint64) uint64 {
	control := (x - eachByte*0x20) &^ x
	quote := x ^ (eachByte * '"')
	backslash := x ^ (eachByte * '\\')
	quote = (quote - eachByte) &^ quote
	backslash = (backslash - eachByte) &^ backslash
	return (control | quote | backslash | x) & highBits
}

// plainRunEnd returns the index of the first byte at or after i that is not
// plainStringByte, or len(b). A 1,100-byte id is read 8 bytes a step.
func plainRunEnd(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if m := specialByteMask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(b) && plainStringByte[b[i]] {
		i++
	}
	return i
}

// readString reads the string whose opening quote is at b[i-1] and returns
// the index after its closing quote; ok is false if it is not a valid
// RFC 8259 §7 string. s is the unescaped content: a view of b when the
// string has no escapes, else appended to d.scratch, which keeps at most
// limit bytes of it; over reports that the content is longer than limit
// (then s is a prefix when escaped). Only the escaped path touches scratch.
func (d *Decoder) readString(b []byte, i, limit int) (s []byte, end int, over, ok bool) {
	start := i
	for {
		i = plainRunEnd(b, i)
		if i >= len(b) {
			return nil, i, false, false // unterminated
		}
		switch c := b[i]; {
		case c == '"':
			s = b[start:i]
			return s, i + 1, len(s) > limit, true
		case c == '\\':
			return d.unescapeString(b, start, i, limit)
		case c < 0x20:
			return nil, i, false, false
		}
		n := validRuneLen(b[i:])
		if n == 0 {
			return nil, i, false, false
		}
		i += n
	}
}

// validRuneLen returns the length of the valid UTF-8 sequence at the start
// of p, or 0 if it is not one (overlong, surrogate, truncated, > U+10FFFF).
func validRuneLen(p []byte) int {
	r, n := utf8.DecodeRune(p)
	if r == utf8.RuneError && n == 1 {
		return 0
	}
	return n
}

// unescapeString continues readString from the first backslash at b[i],
// copying b[start:i] and then the unescaped rest into d.scratch.
func (d *Decoder) unescapeString(b []byte, start, i, limit int) (s []byte, end int, over, ok bool) {
	if d.scratch == nil {
		d.scratch = make([]byte, 0, scratchSize)
	}
	base := len(d.scratch)
	keep := func(n int) bool { // reserve n more bytes of s, or mark over
		if !over && len(d.scratch)-base+n > limit {
			over = true
		}
		return !over
	}
	if keep(i - start) {
		d.scratch = append(d.scratch, b[start:i]...)
	}
	for {
		if run := plainRunEnd(b, i); run > i {
			if keep(run - i) {
				d.scratch = append(d.scratch, b[i:run]...)
			}
			i = run
		}
		if i >= len(b) {
			return nil, i, false, false // unterminated
		}
		switch c := b[i]; {
		case c == '"':
			end := len(d.scratch)
			return d.scratch[base:end:end], i + 1, over, true // appending to s cannot touch scratch
		case c == '\\':
			r, next, valid := readEscape(b, i)
			if !valid {
				return nil, i, false, false
			}
			if keep(utf8.RuneLen(r)) {
				d.scratch = utf8.AppendRune(d.scratch, r)
			}
			i = next
			continue
		case c < 0x20:
			return nil, i, false, false
		}
		n := validRuneLen(b[i:])
		if n == 0 {
			return nil, i, false, false
		}
		if keep(n) {
			d.scratch = append(d.scratch, b[i:i+n]...)
		}
		i += n
	}
}

// readEscape decodes the escape at b[i] == '\\' (RFC 8259 §7):
//
//	escape = %x22 / %x5C / %x2F / %x62 / %x66 / %x6E / %x72 / %x74 / %x75 4HEXDIG
//
// A \u escape of a UTF-16 high surrogate must be followed by one of a low
// surrogate and the pair decodes to one rune; any other surrogate is
// rejected, since it cannot be UTF-8 (RFC 8259 §8.2 leaves it to us).
func readEscape(b []byte, i int) (r rune, next int, ok bool) {
	if i+1 >= len(b) {
		return 0, i, false
	}
	switch b[i+1] {
	case '"', '\\', '/':
		return rune(b[i+1]), i + 2, true
	case 'b':
		return '\b', i + 2, true
	case 'f':
		return '\f', i + 2, true
	case 'n':
		return '\n', i + 2, true
	case 'r':
		return '\r', i + 2, true
	case 't':
		return '\t', i + 2, true
	case 'u':
	default:
		return 0, i, false
	}
	r, ok = parseHex4(b, i+2)
	if !ok {
		return 0, i, false
	}
	if !utf16.IsSurrogate(r) {
		return r, i + 6, true
	}
	if r >= 0xDC00 || i+7 >= len(b) || b[i+6] != '\\' || b[i+7] != 'u' {
		return 0, i, false
	}
	low, ok := parseHex4(b, i+8)
	if !ok || low < 0xDC00 || low > 0xDFFF {
		return 0, i, false
	}
	return utf16.DecodeRune(r, low), i + 12, true
}

// parseHex4 decodes the four hex digits at b[i:].
func parseHex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
