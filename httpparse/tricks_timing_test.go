package httpparse

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"testing"
)

// Each scanning trick is benchmarked beside the plain loop it replaces; the
// tests in chars_test.go and swar_test.go prove each pair equivalent.

// equalFoldLowerPlain is the byte-at-a-time form of equalFoldLower.
func equalFoldLowerPlain(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// skipClassPlain is the one-byte-per-step form of skipClass.
func skipClassPlain(b []byte, i int, class uint8) int {
	for i < len(b) && charClass[b[i]]&class != 0 {
		i++
	}
	return i
}

var valueBenchInputs = []string{
	"127.0.0.1:8080\r\n",
	"application/json\r\n",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n",
}

// BenchmarkSkipValueBytes sets skipValueBytes beside its word loop with the words
// loaded through encoding/binary (a re-slice and two bounds checks per word, what load64
// saves) and beside a byte-at-a-time loop.
func BenchmarkSkipValueBytes(b *testing.B) {
	for _, impl := range []struct {
		name string
		f    func([]byte, int) int
	}{{"swar", skipValueBytes}, {"swar-binary", skipValueBytesBinary}, {"plain", skipValueBytesPlain}} {
		for _, in := range valueBenchInputs {
			buf := []byte(in)
			b.Run(impl.name+"/"+strconv.Itoa(len(in)), func(b *testing.B) {
				b.SetBytes(int64(len(buf)))
				for b.Loop() {
					n := impl.f(buf, 0)
					if n != len(buf)-2 {
						b.Fatal(n)
					}
					sinkN += n
				}
			})
		}
	}
}

func BenchmarkSkipClass(b *testing.B) {
	names := []string{"Host:", "Content-Length:", "Accept-Encoding:", "User-Agent:"}
	for _, impl := range []struct {
		name string
		f    func([]byte, int, uint8) int
	}{
		{"words", func(b []byte, i int, _ uint8) int { return skipTokenBytes(b, i) }},
		{"unrolled", skipClass},
		{"plain", skipClassPlain},
	} {
		b.Run(impl.name, func(b *testing.B) {
			bufs := make([][]byte, len(names))
			for k, s := range names {
				bufs[k] = []byte(s)
			}
			for b.Loop() {
				for _, buf := range bufs {
					n := impl.f(buf, 0, classToken)
					if n != len(buf)-1 {
						b.Fatal(n)
					}
					sinkN += n
				}
			}
		})
	}
}

func BenchmarkEqualFoldLower(b *testing.B) {
	names := [][]byte{[]byte("Content-Length"), []byte("Transfer-Encoding"), []byte("Host"), []byte("Connection")}
	lower := []string{"content-length", "transfer-encoding", "host", "connection"}
	for _, impl := range []struct {
		name string
		f    func([]byte, string) bool
	}{{"word", equalFoldLower}, {"plain", equalFoldLowerPlain}} {
		b.Run(impl.name, func(b *testing.B) {
			for b.Loop() {
				for k := range names {
					if !impl.f(names[k], lower[k]) {
						b.Fatal(string(names[k]))
					}
				}
			}
		})
	}
}

func BenchmarkFoldedNameKey(b *testing.B) {
	names := [][]byte{[]byte("Content-Length"), []byte("Host"), []byte("Connection"), []byte("User-Agent")}
	b.Run("key", func(b *testing.B) {
		for b.Loop() {
			hits := 0
			for _, name := range names {
				switch len(name) {
				case 4:
					hits += boolInt(foldedNameKey(name) == keyHost)
				case 10:
					hits += boolInt(foldedNameKey(name) == keyConnection)
				case 14:
					hits += boolInt(foldedNameKey(name) == keyContentLength)
				}
			}
			if hits != 3 {
				b.Fatal(hits)
			}
		}
	})
	b.Run("equalFoldLower", func(b *testing.B) {
		for b.Loop() {
			hits := 0
			for _, name := range names {
				switch len(name) {
				case 4:
					hits += boolInt(equalFoldLower(name, "host"))
				case 10:
					hits += boolInt(equalFoldLower(name, "connection"))
				case 14:
					hits += boolInt(equalFoldLower(name, "content-length"))
				}
			}
			if hits != 3 {
				b.Fatal(hits)
			}
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// skipValueBytesBinary is skipValueBytes loading its words through
// encoding/binary instead of load64: the plain form of that trick.
func skipValueBytesBinary(b []byte, i int) int {
	for i+8 <= len(b) {
		flags := controlOrDel(binary.LittleEndian.Uint64(b[i:]))
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

// BenchmarkFieldNames sets the known-name match of scanFieldLinesWords
// beside the letter-word scan it replaces for known names, followed by the
// classification that scan then needs (mayBeFramingField, framingKind).
func BenchmarkFieldNames(b *testing.B) {
	lines := [][]byte{
		[]byte("Host: 127.0.0.1:8080\r\n"), []byte("User-Agent: curl/7.88.1\r\n"),
		[]byte("Accept: */*\r\n"), []byte("Content-Type: application/json\r\n"),
		[]byte("Content-Length: 35\r\n"),
	}
	b.Run("known", func(b *testing.B) {
		for b.Loop() {
			for _, line := range lines {
				n, kind := matchKnownName(line, 0, load64(line, 0))
				if n == 0 {
					b.Fatal(string(line))
				}
				sinkN += n + int(kind)
			}
		}
	})
	b.Run("words", func(b *testing.B) {
		for b.Loop() {
			for _, line := range lines {
				n := skipTokenBytes(line, 0)
				if line[n] != ':' {
					b.Fatal(string(line))
				}
				kind := kindNone
				if mayBeFramingField(line[0], n) {
					kind = framingKind(line[:n])
				}
				sinkN += n + int(kind)
			}
		}
	})
}

// BenchmarkRequestLine sets parseRequestLine, whose word path takes these
// lines, beside parseRequestLineBytes, the byte path alone.
func BenchmarkRequestLine(b *testing.B) {
	lines := [][]byte{[]byte("POST /event HTTP/1.1\r\n"), []byte("GET /stats?x=1 HTTP/1.1\r\n")}
	var r Request
	b.Run("words", func(b *testing.B) {
		for b.Loop() {
			for _, line := range lines {
				n, err := parseRequestLine(line, 0, &r, DefaultMaxRequestLine)
				if err != nil || n != len(line) {
					b.Fatal(n, err)
				}
				sinkN += n
			}
		}
	})
	b.Run("bytes", func(b *testing.B) {
		for b.Loop() {
			for _, line := range lines {
				n, err := parseRequestLineBytes(line, 0, &r, ErrNeedMore)
				if err != nil || n != len(line) {
					b.Fatal(n, err)
				}
				sinkN += n
			}
		}
	})
}
