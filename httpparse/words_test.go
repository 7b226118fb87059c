package httpparse

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The word-at-a-time fast paths (parseRequestLineWords, scanFieldLinesWords)
// must give exactly what the byte-by-byte paths give. These tests and
// FuzzWordPaths compare each with its plain form: parseRequestLineBytes,
// and scanFieldSectionBytes below, the header loop as it was before the
// word scan.

// scanFieldSectionBytes is scanFieldSection without the word scan: every
// line through scanFieldLine, classified by framingKind, applied by apply.
func scanFieldSectionBytes(buf []byte, sec *section, lim *Limits, req *Request, st *fieldState) (int, error) {
	end, short := window(buf, sec.start, lim.MaxHeaderBytes, ErrHeadersTooLarge)
	b := buf[:end]
	i, count := sec.next, sec.lines
	for ; ; count++ {
		if i >= len(b) {
			break
		}
		if b[i] == '\r' {
			if i+1 >= len(b) {
				break
			}
			if b[i+1] != '\n' {
				return 0, ErrBadLineEnding
			}
			return i + 2, nil
		}
		if count == lim.MaxHeaders {
			return 0, ErrHeadersTooLarge
		}
		nameEnd, valueStart, valueEnd, next, err := scanFieldLine(b, i)
		if err != nil {
			return 0, err
		}
		if next == 0 {
			break
		}
		if st != nil {
			if err := st.apply(req, framingKind(b[i:nameEnd]), b[valueStart:valueEnd]); err != nil {
				return 0, err
			}
		}
		i = next
	}
	sec.next, sec.lines = i, count
	return 0, short
}

// sectionOutcome is everything scanFieldSection leaves behind.
type sectionOutcome struct {
	n      int
	err    error
	sec    section
	fields fieldState
	req    Request
}

// compareFieldSections runs the header section at the end of buf (after
// the request line prefix) through scanFieldSection and
// scanFieldSectionBytes, as a header section (fields applied, HTTP/1.minor)
// and as a trailer section (st == nil), and requires the same outcome.
func compareFieldSections(t testing.TB, buf []byte, start int, lim Limits, minor int) {
	lim.setDefaults()
	for _, trailer := range []bool{false, true} {
		run := func(scan func([]byte, *section, *Limits, *Request, *fieldState) (int, error)) sectionOutcome {
			o := sectionOutcome{sec: newSection(start)}
			o.req.Reset()
			o.req.Minor = minor
			st := &o.fields
			if trailer {
				st = nil
			}
			o.n, o.err = scan(buf, &o.sec, &lim, &o.req, st)
			return o
		}
		want, got := run(scanFieldSectionBytes), run(scanFieldSection)
		require.Equal(t, want, got, "trailer %v, limits %+v: %q", trailer, lim, buf[start:])
		if trailer {
			continue
		}
		// The drivers' entry: the word scan first, then the section loop
		// for what it leaves, then the rules of the whole section.
		want = run(func(buf []byte, sec *section, lim *Limits, req *Request, st *fieldState) (int, error) {
			n, err := scanFieldSectionBytes(buf, sec, lim, req, st)
			if err == nil {
				err = finishHeaderSection(req, lim, st)
			}
			return n, err
		})
		got = run(func(buf []byte, sec *section, lim *Limits, req *Request, st *fieldState) (int, error) {
			return parseHeaderSection(buf, req, lim, sec, st)
		})
		if want.err != ErrNeedMore {
			// Where the scan got matters only to a call that resumes it.
			want.sec, got.sec = section{}, section{}
		}
		require.Equal(t, want, got, "header section, limits %+v: %q", lim, buf[start:])
	}
}

// compareRequestLines requires parseRequestLine (fast path first) and
// parseRequestLineBytes to agree on buf.
func compareRequestLines(t testing.TB, buf []byte, lim Limits) {
	lim.setDefaults()
	end, short := window(buf, 0, lim.MaxRequestLine, ErrRequestLineTooLong)
	var want, got Request
	wantN, wantErr := parseRequestLineBytes(buf[:end], 0, &want, short)
	gotN, gotErr := parseRequestLine(buf, 0, &got, lim.MaxRequestLine)
	require.Equal(t, wantErr, gotErr, "%q", buf)
	if wantErr == nil {
		require.Equal(t, wantN, gotN, "%q", buf)
		require.Equal(t, want, got, "%q", buf)
	}
}

// headerSection returns the header section of a real client request: the
// bytes after its request line through the empty line.
func headerSection(t testing.TB, name string) string {
	in := string(loadRequest(t, name))
	start := strings.Index(in, "\r\n") + 2
	return in[start : strings.Index(in, "\r\n\r\n")+4]
}

// wordPathSeeds are field sections and request lines that reach every branch
// of the word paths: known names in any case, near misses of them, names of
// digits and other tchars, HTAB and OWS in values, every framing field, bare
// CR and LF, lines cut at any point.
var wordPathSeeds = []string{
	"Host: a\r\n\r\n",
	"HOST: 127.0.0.1:8080\r\ncontent-LENGTH: 35\r\nContent-Type: a/b\r\n\r\n",
	"Hosts: a\r\nHost : a\r\nHost:\ta\t\r\n\r\n",
	"Host: a\r\nHost: b\r\n\r\n",
	"Host: a/b\r\n\r\n",
	"Content-Length: 12345678901234567890\r\n\r\n",
	"Content-Length: 1 2\r\nContent-Length: 3\r\n\r\n",
	"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
	"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
	"Content-Type: a\r\nContent-Type: b\r\n\r\n",
	"Content-Encoding: gzip\r\nConnection: close\r\nExpect: 100-continue\r\n\r\n",
	"X-B3-TraceId: 1\r\nX_Y: 2\r\nAccept-Encodings: x\r\nAccept-Encodin: y\r\n\r\n",
	"User-Agent: a\x7fb\r\n\r\n",
	"User-Agent: a\rb\r\n\r\n",
	"User-Agent: a\nb\r\n\r\n",
	" Host: a\r\n\r\n",
	"Accept: \xff\x80 \t\r\n\r\n",
	"Cache-Control: no-cache\r\nAuthorization: x\r\nCookie: a=b\r\nOrigin: o\r\nReferer: r\r\n\r\n",
	"Sec-Fetch-Mode: cors\r\nsec-fetch-site: x\r\nSEC-FETCH-DEST: y\r\nKeep-Alive: 5\r\nx-request-id: 7\r\n\r\n",
	"Ho\x00t: a\r\nHost\x00: a\r\nHos\xf4: a\r\n\r\n",
	"Host: a\r\nX: y",
	"Host: a\r",
}

var requestLineSeeds = []string{
	"GET / HTTP/1.1\r\n",
	"POST /event HTTP/1.1\r\n",
	"PUT /a?b=c HTTP/1.1\r\n",
	"HEAD /a?b#c HTTP/1.1\r\n",
	"POST /event HTTP/1.0\r\n",
	"POST /event HTTP/1.1\n",
	"POST /event HTTP/1.1\r",
	"POST /event  HTTP/1.1\r\n",
	"POST  /event HTTP/1.1\r\n",
	"POST event HTTP/1.1\r\n",
	"GETS / HTTP/1.1\r\n",
	"get / HTTP/1.1\r\n",
	"POST /ev\x7fent HTTP/1.1\r\n",
	"POST /ev\xe9nt HTTP/1.1\r\n",
	"POST /a#b HTTP/1.1\r\n",
	"POST /0123456789abcdef0123456789? HTTP/1.1\r\n",
	"CONNECT a:1 HTTP/1.1\r\n",
	"OPTIONS * HTTP/1.1\r\n",
	"GET http://a/b HTTP/1.1\r\n",
}

func TestWordPathsMatchBytePaths(t *testing.T) {
	prefix := "GET / HTTP/1.1\r\n"
	sections := append([]string(nil), wordPathSeeds...)
	for _, name := range realRequestNames {
		sections = append(sections, headerSection(t, name))
	}
	for _, s := range sections {
		full := prefix + s + `{"body":1}`
		for cut := len(prefix); cut <= len(full); cut++ {
			for _, lim := range fuzzLimits {
				for minor := 0; minor <= 1; minor++ {
					compareFieldSections(t, []byte(full[:cut]), len(prefix), lim, minor)
				}
			}
		}
	}
	for _, line := range requestLineSeeds {
		for cut := 0; cut <= len(line); cut++ {
			for _, lim := range fuzzLimits {
				compareRequestLines(t, []byte(line[:cut]+strings.Repeat("x", len(line)-cut)), lim)
				compareRequestLines(t, []byte(line[:cut]), lim)
			}
		}
	}
}

// TestWordPathsRandom mutates the seeds byte by byte with bytes from an
// alphabet of the interesting classes.
func TestWordPathsRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte("\r\n\t :/?#-_aAzZ09\x00\x7f\x80\xff")
	mutate := func(s string) []byte {
		b := []byte(s)
		for k := rng.IntN(4); k > 0 && len(b) > 0; k-- {
			b[rng.IntN(len(b))] = alphabet[rng.IntN(len(alphabet))]
		}
		return b
	}
	prefix := "GET / HTTP/1.1\r\n"
	for n := 0; n < 20000; n++ {
		s := wordPathSeeds[rng.IntN(len(wordPathSeeds))]
		buf := append([]byte(prefix), mutate(s)...)
		compareFieldSections(t, buf, len(prefix), fuzzLimits[rng.IntN(len(fuzzLimits))], rng.IntN(2))
		compareRequestLines(t, mutate(requestLineSeeds[rng.IntN(len(requestLineSeeds))]), fuzzLimits[rng.IntN(len(fuzzLimits))])
	}
}

// FuzzWordPaths compares the word paths with the byte paths on arbitrary
// bytes: data as a header section after a request line, and as a request
// line.
func FuzzWordPaths(f *testing.F) {
	for _, s := range wordPathSeeds {
		f.Add([]byte(s), uint8(0))
	}
	for _, name := range realRequestNames {
		f.Add([]byte(headerSection(f, name)), uint8(1))
	}
	for _, s := range requestLineSeeds {
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		lim := fuzzLimits[int(mode)%len(fuzzLimits)]
		prefix := "GET / HTTP/1.1\r\n"
		compareFieldSections(t, append([]byte(prefix), data...), len(prefix), lim, int(mode/4)%2)
		compareRequestLines(t, data, lim)
	})
}

// TestNotPathBytes checks the word classifier of request-target path bytes
// against the table, every byte value at every position of a word, among
// path bytes and among other bytes.
func TestNotPathBytes(t *testing.T) {
	for pos := 0; pos < 8; pos++ {
		for _, fill := range []byte{'a', ' ', 0x80} {
			for c := 0; c < 256; c++ {
				var word [8]byte
				for i := range word {
					word[i] = fill
				}
				word[pos] = byte(c)
				x := stringWord(string(word[:]), 0)
				for i, b := range word {
					want := charClass[b]&classPath == 0
					assert.Equal(t, want, notPathBytes(x)>>(8*i+7)&1 == 1, "byte %#x at %d among %#x", b, i, fill)
				}
			}
		}
	}
}

// TestKnownNames checks that every known name matches in any letter case,
// with its colon, and with the kind framingKind gives; that a name that
// differs in any one byte does not match as it; and that the table is well
// formed.
func TestKnownNames(t *testing.T) {
	match := func(line string) (n int, kind fieldKind) {
		b := []byte(line + "        ")
		return matchKnownName(b, 0, load64(b, 0))
	}
	for _, name := range knownFieldNames {
		for _, spelled := range []string{name, strings.ToUpper(name), strings.ToUpper(name[:1]) + name[1:]} {
			n, kind := match(spelled + ": x")
			assert.Equal(t, len(name), n, spelled)
			assert.Equal(t, framingKind([]byte(name)), kind, spelled)
		}
		line := name + ":"
		for i := 0; i < len(line); i++ {
			for _, c := range []byte{0, '\r', '\t', ' ', ':', '-', '_', 'q', 0x7f, 0xc1, line[i] ^ 0x20} {
				if c == line[i] || c == line[i]^0x20 && line[i] >= 'a' && line[i] <= 'z' {
					continue // the same name
				}
				b := []byte(line)
				b[i] = c
				n, _ := match(string(b))
				assert.NotEqual(t, len(name), n, "%q", b)
			}
		}
	}
	assert.Equal(t, kindContentLength, framingKind([]byte("Content-Length")))
	assert.Equal(t, kindNone, framingKind([]byte("Content-Lengths")))
}
