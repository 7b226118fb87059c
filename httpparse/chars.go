package httpparse

import "encoding/binary"

// Byte classes, one bit each in charClass. Every class is defined by the
// ABNF quoted beside it; chars_test.go checks the table against those rules
// written out as plain predicates.
const (
	// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
	//         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA      (RFC 9110 §5.6.2)
	classToken uint8 = 1 << iota
	// request-target bytes: VCHAR = %x21-7E (RFC 9112 §3.2; RFC 3986 never
	// yields SP, controls or non-ASCII, so a target is visible ASCII), but
	// not "#": a fragment is never part of a request-target (RFC 9112 §3.2,
	// RFC 3986 §3.5).
	classTarget
	// classTarget without "?": the bytes of a path before its query.
	classPath
	// field-value bytes: field-vchar = VCHAR / obs-text, plus SP / HTAB
	// between them (RFC 9110 §5.5); obs-text = %x80-FF.
	classValue
	// Host and authority bytes: reg-name = *( unreserved / pct-encoded /
	// sub-delims ), IP-literal brackets and ":" port (RFC 3986 §3.2.2,
	// §3.2.3); unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~";
	// sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," /
	// ";" / "="; "%" for pct-encoded. No "@": userinfo is an error in http(s)
	// URIs (RFC 9110 §4.2.4).
	classHost
	// qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (RFC 9110 §5.6.4)
	classQdtext
)

// charClass holds the class bits of every byte value. Built once at package
// initialisation and never written afterwards.
var charClass = func() (t [256]uint8) {
	set := func(class uint8, chars string) {
		for i := 0; i < len(chars); i++ {
			t[chars[i]] |= class
		}
	}
	setRange := func(class uint8, lo, hi int) {
		for c := lo; c <= hi; c++ {
			t[c] |= class
		}
	}
	const (
		alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		digit = "0123456789"
	)
	set(classToken, alpha+digit+"!#$%&'*+-.^_`|~")
	setRange(classTarget, 0x21, 0x7e)
	t['#'] &^= classTarget
	setRange(classPath, 0x21, 0x7e)
	t['#'] &^= classPath
	t['?'] &^= classPath
	setRange(classValue, 0x21, 0x7e)
	setRange(classValue, 0x80, 0xff)
	set(classValue, " \t")
	set(classHost, alpha+digit+"-._~"+"!$&'()*+,;="+"%"+":[]")
	set(classQdtext, "\t \x21")
	setRange(classQdtext, 0x23, 0x5b)
	setRange(classQdtext, 0x5d, 0x7e)
	setRange(classQdtext, 0x80, 0xff)
	return t
}()

// hexValue maps HEXDIG (RFC 5234 B.1, case-insensitive as ABNF strings are)
// to its value and every other byte to notHex.
var hexValue = func() (t [256]uint8) {
	for i := range t {
		t[i] = notHex
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = uint8(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = uint8(c - 'a' + 10)
		t[c-'a'+'A'] = uint8(c - 'a' + 10)
	}
	return t
}()

const notHex = 0xff

func isToken(c byte) bool  { return charClass[c]&classToken != 0 }
func isValue(c byte) bool  { return charClass[c]&classValue != 0 }
func isHost(c byte) bool   { return charClass[c]&classHost != 0 }
func isTarget(c byte) bool { return charClass[c]&classTarget != 0 }
func isOWS(c byte) bool    { return c == ' ' || c == '\t' }

// skipClass returns the index of the first byte at or after i whose class
// bits lack class. Four bytes are tested per step (independent loads, one
// branch), then the rest one by one; the result equals the plain loop.
func skipClass(b []byte, i int, class uint8) int {
	for i+4 <= len(b) {
		w := b[i : i+4 : i+4] // one bounds check for the four loads
		if charClass[w[0]]&charClass[w[1]]&charClass[w[2]]&charClass[w[3]]&class == 0 {
			break
		}
		i += 4
	}
	for i < len(b) && charClass[b[i]]&class != 0 {
		i++
	}
	return i
}

// equalFoldLower reports whether b equals lower, ignoring ASCII case in b.
// lower must hold only lower-case letters, digits, "-", ":" and "/".
// Invariant: setting bit 0x20 maps 'A'-'Z' onto 'a'-'z' and leaves those
// other bytes unchanged; the only other bytes it maps onto them are control
// bytes (CR onto "-", HTAB onto ")", which lower never holds), and callers
// pass only tokens, validated field values and request-target bytes, which
// hold no control byte but HTAB.
func equalFoldLower(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])|0x20*swarOnes != stringWord(lower, i) {
			return false
		}
	}
	for ; i < len(b); i++ {
		if b[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// stringWord loads s[i:i+8] little-endian; the compiler merges the byte
// loads into one.
func stringWord(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// trimOWS removes leading and trailing OWS (SP / HTAB, RFC 9110 §5.6.3).
func trimOWS(b []byte) []byte {
	for len(b) > 0 && isOWS(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isOWS(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
