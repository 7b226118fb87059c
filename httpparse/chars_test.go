package httpparse

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The predicates below restate the ABNF of each byte class independently of
// the table construction in chars.go.

func refToken(c byte) bool { // RFC 9110 §5.6.2
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func refVCHAR(c byte) bool { return 0x21 <= c && c <= 0x7e } // RFC 5234 B.1

func refValue(c byte) bool { return refVCHAR(c) || c >= 0x80 || c == ' ' || c == '\t' } // RFC 9110 §5.5

func refHost(c byte) bool { // RFC 3986 §3.2.2-3.2.3
	unreserved := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0
	subDelims := strings.IndexByte("!$&'()*+,;=", c) >= 0
	return unreserved || subDelims || c == '%' || c == ':' || c == '[' || c == ']'
}

func refQdtext(c byte) bool { // RFC 9110 §5.6.4
	return c == '\t' || c == ' ' || c == 0x21 || 0x23 <= c && c <= 0x5b || 0x5d <= c && c <= 0x7e || c >= 0x80
}

func TestCharClasses(t *testing.T) {
	for i := 0; i < 256; i++ {
		c := byte(i)
		assert.Equal(t, refToken(c), isToken(c), "token %#x", c)
		assert.Equal(t, refVCHAR(c) && c != '#', isTarget(c), "target %#x", c)
		assert.Equal(t, refVCHAR(c) && c != '#' && c != '?', charClass[c]&classPath != 0, "path %#x", c)
		assert.Equal(t, refValue(c), isValue(c), "value %#x", c)
		assert.Equal(t, refHost(c), isHost(c), "host %#x", c)
		assert.Equal(t, refQdtext(c), charClass[c]&classQdtext != 0, "qdtext %#x", c)
		want := notHex
		switch {
		case '0' <= c && c <= '9':
			want = int(c - '0')
		case 'a' <= c && c <= 'f':
			want = int(c-'a') + 10
		case 'A' <= c && c <= 'F':
			want = int(c-'A') + 10
		}
		assert.Equal(t, want, int(hexValue[c]), "hex %#x", c)
	}
}

// TestEqualFoldLower checks the invariant documented on equalFoldLower: no
// token byte other than the two cases of a letter matches a letter, digit or
// "-" of the lower-case pattern.
func TestEqualFoldLower(t *testing.T) {
	assert.True(t, equalFoldLower([]byte("Content-LENGTH"), "content-length"))
	assert.True(t, equalFoldLower([]byte("100-Continue"), "100-continue"))
	assert.False(t, equalFoldLower([]byte("content-lengt"), "content-length"))
	assert.False(t, equalFoldLower([]byte("content_length"), "content-length"))
	for _, p := range "abcdefghijklmnopqrstuvwxyz0123456789-" {
		for i := 0; i < 256; i++ {
			c := byte(i)
			if !refToken(c) && !refValue(c) {
				continue
			}
			match := equalFoldLower([]byte{c}, string(p))
			assert.Equal(t, strings.EqualFold(string(c), string(p)), match, "%q vs %q", c, p)
		}
	}
}

// TestTricksMatchPlainLoops checks skipClass and equalFoldLower against
// their plain forms on every class, every byte and every offset.
func TestTricksMatchPlainLoops(t *testing.T) {
	base := []byte("Content-Length-and-more")
	classes := []uint8{classToken, classTarget, classPath, classValue, classHost, classQdtext}
	for pos := 0; pos < len(base); pos++ {
		for c := 0; c < 256; c++ {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			for _, class := range classes {
				for start := 0; start <= pos; start++ {
					assert.Equal(t, skipClassPlain(b, start, class), skipClass(b, start, class))
					assert.Equal(t, skipClassPlain(b[:pos+1], start, class), skipClass(b[:pos+1], start, class))
				}
			}
			for _, lower := range []string{"content-length-and-more", "content-length", "host"} {
				n := min(len(lower), len(b))
				assert.Equal(t, equalFoldLowerPlain(b[:n], lower), equalFoldLower(b[:n], lower), "%q vs %q", b[:n], lower)
			}
		}
	}
}

// TestFoldedNameKey checks that equal keys mean equal names ignoring case,
// for every token byte at every position of names of 4 to 16 bytes.
func TestFoldedNameKey(t *testing.T) {
	for _, lower := range []string{"host", "expect", "connection", "content-length", "abcdefg", "abcdefghijklmnop"} {
		want := foldedNameKey([]byte(lower))
		for pos := 0; pos < len(lower); pos++ {
			for c := 0; c < 256; c++ {
				if !refToken(byte(c)) {
					continue
				}
				b := []byte(lower)
				b[pos] = byte(c)
				assert.Equal(t, equalFoldLower(b, lower), foldedNameKey(b) == want, "%q vs %q", b, lower)
			}
		}
	}
	assert.Equal(t, keyContentLength, foldedNameKey([]byte("CONTENT-LENGTH")))
	assert.NotEqual(t, keyContentLength, foldedNameKey([]byte("content_length")))
}

func TestTrimOWS(t *testing.T) {
	assert.Equal(t, "a b", string(trimOWS([]byte(" \ta b\t "))))
	assert.Equal(t, "", string(trimOWS([]byte(" \t "))))
	assert.Equal(t, "", string(trimOWS(nil)))
}
