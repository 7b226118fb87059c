package httpparse

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLimitBoundaries checks each limit at exactly its value (accepted)
// and one past it (rejected).
func TestLimitBoundaries(t *testing.T) {
	// requestLine returns a request line of exactly n bytes, CRLF included.
	requestLine := func(n int) string {
		const fixed = len("GET / HTTP/1.1\r\n")
		return "GET /" + strings.Repeat("a", n-fixed) + " HTTP/1.1\r\n"
	}
	// headerSection returns a header section of exactly n bytes.
	headerSection := func(n int) string {
		const fixed = len("Host: a\r\nX: \r\n\r\n")
		return "Host: a\r\nX: " + strings.Repeat("v", n-fixed) + "\r\n\r\n"
	}
	fields := func(n int) string { // n field lines including Host
		return "Host: a\r\n" + strings.Repeat("X: 1\r\n", n-1) + "\r\n"
	}
	chunkedBody := func(n int) string { // two chunks, n decoded bytes
		half := n / 2
		return strconv.FormatInt(int64(half), 16) + "\r\n" + strings.Repeat("b", half) + "\r\n" +
			strconv.FormatInt(int64(n-half), 16) + "\r\n" + strings.Repeat("b", n-half) + "\r\n0\r\n\r\n"
	}
	tests := []struct {
		name string
		in   string
		lim  Limits
		want error
	}{
		{"request line at max", requestLine(100) + "Host: a\r\n\r\n", Limits{MaxRequestLine: 100}, nil},
		{"request line over max", requestLine(101) + "Host: a\r\n\r\n", Limits{MaxRequestLine: 100}, ErrRequestLineTooLong},
		{"request line default", requestLine(DefaultMaxRequestLine) + "Host: a\r\n\r\n", Limits{}, nil},
		{"request line default over", requestLine(DefaultMaxRequestLine+1) + "Host: a\r\n\r\n", Limits{}, ErrRequestLineTooLong},
		{"empty lines not counted", "\r\n\r\n" + requestLine(100) + "Host: a\r\n\r\n", Limits{MaxRequestLine: 100}, nil},
		{"header bytes at max", line11 + headerSection(200), Limits{MaxHeaderBytes: 200}, nil},
		{"header bytes over max", line11 + headerSection(201), Limits{MaxHeaderBytes: 200}, ErrHeadersTooLarge},
		{"header bytes default", line11 + headerSection(DefaultMaxHeaderBytes), Limits{}, nil},
		{"header bytes default over", line11 + headerSection(DefaultMaxHeaderBytes+1), Limits{}, ErrHeadersTooLarge},
		{"header count at max", line11 + fields(DefaultMaxHeaders), Limits{}, nil},
		{"header count over max", line11 + fields(DefaultMaxHeaders+1), Limits{}, ErrHeadersTooLarge},
		{"header count negative limit is default", line11 + fields(DefaultMaxHeaders), Limits{MaxHeaders: -1}, nil},
		{"cl at max", post11 + "Content-Length: 65536\r\n\r\n" + strings.Repeat("b", 65536), Limits{}, nil},
		{"cl over max", post11 + "Content-Length: 65537\r\n\r\n" + strings.Repeat("b", 65537), Limits{}, ErrBodyTooLarge},
		{"chunked at max", chunked + chunkedBody(100), Limits{MaxBody: 100}, nil},
		{"chunked over max", chunked + chunkedBody(101), Limits{MaxBody: 100}, ErrBodyTooLarge},
		{"chunk line at max", chunked + "1;" + strings.Repeat("e", chunkLineMax-4) + "\r\nx\r\n0\r\n\r\n", Limits{}, nil},
		{"chunk line over max", chunked + "1;" + strings.Repeat("e", chunkLineMax-3) + "\r\nx\r\n0\r\n\r\n", Limits{}, ErrBadChunk},
		// Raw bound 2*16+16384 = 16416 bytes through the last-chunk line: 4
		// chunks of 4097 bytes, then a chunk of 12 data bytes and "0\r\n"
		// ending exactly at (or one past) it.
		{"raw chunked at bound", chunked + strings.Repeat("1;"+strings.Repeat("e", 4090)+"\r\nx\r\n", 4) +
			"c;" + strings.Repeat("e", 7) + "\r\n" + strings.Repeat("b", 12) + "\r\n0\r\n\r\n", Limits{MaxBody: 16}, nil},
		{"raw chunked over bound", chunked + strings.Repeat("1;"+strings.Repeat("e", 4090)+"\r\nx\r\n", 4) +
			"c;" + strings.Repeat("e", 8) + "\r\n" + strings.Repeat("b", 12) + "\r\n0\r\n\r\n", Limits{MaxBody: 16}, ErrBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Request
			n, err := Parse([]byte(tt.in), &r, tt.lim)
			require.Equal(t, tt.want, err)
			if tt.want == nil {
				assert.Equal(t, len(tt.in), n)
			}
		})
	}
}

// TestLimitsDetectedEarly checks that an over-limit element fails as soon
// as the limit is buffered, before the element is complete.
func TestLimitsDetectedEarly(t *testing.T) {
	tests := []struct {
		name string
		in   string
		lim  Limits
		want error
	}{
		{"request line", "GET /" + strings.Repeat("a", 95), Limits{MaxRequestLine: 100}, ErrRequestLineTooLong},
		{"request line one short", "GET /" + strings.Repeat("a", 94), Limits{MaxRequestLine: 100}, ErrNeedMore},
		{"header section", line11 + "X: " + strings.Repeat("v", 97), Limits{MaxHeaderBytes: 100}, ErrHeadersTooLarge},
		{"header section one short", line11 + "X: " + strings.Repeat("v", 96), Limits{MaxHeaderBytes: 100}, ErrNeedMore},
		{"content-length", post11 + "Content-Length: 101\r\n\r\n", Limits{MaxBody: 100}, ErrBodyTooLarge},
		{"chunk size", chunked + "65\r\n", Limits{MaxBody: 100}, ErrBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Request
			_, err := Parse([]byte(tt.in), &r, tt.lim)
			assert.Equal(t, tt.want, err)
		})
	}
}

func TestLimitsDefaults(t *testing.T) {
	def := Limits{MaxRequestLine: 8192, MaxHeaderBytes: 8192, MaxHeaders: 64, MaxBody: 65536}
	assert.Equal(t, def, Limits{}.withDefaults())
	set := Limits{MaxRequestLine: 1, MaxHeaderBytes: 2, MaxHeaders: 3, MaxBody: 4}
	assert.Equal(t, set, set.withDefaults())
	assert.Equal(t, def, Limits{MaxRequestLine: -1, MaxHeaderBytes: -1, MaxHeaders: -1, MaxBody: -1}.withDefaults())
	huge := Limits{MaxBody: maxInt}
	assert.Equal(t, maxInt, huge.maxChunkedRaw())
	assert.Equal(t, maxInt, addSat(maxInt-1, 5))
	assert.Equal(t, 7, addSat(3, 4))
}

// TestHugeLimitsDoNotOverflow checks Need saturates instead of wrapping.
func TestHugeLimitsDoNotOverflow(t *testing.T) {
	lim := Limits{MaxBody: maxInt}
	var r Request
	_, err := Parse([]byte(post11+"Content-Length: 999999999999999999\r\n\r\n"), &r, lim)
	require.Equal(t, ErrNeedMore, err)
	assert.Greater(t, r.Need, 0)
	for _, size := range []string{"fffffffffffffff", "7ffffffffffffffd", "7ffffffffffffffe", "7fffffffffffffff"} {
		for _, in := range []string{chunked + size + "\r\nabc", chunked + "1\r\nx\r\n" + size + "\r\nabc"} {
			_, err = Parse([]byte(in), &r, lim)
			if err == ErrNeedMore {
				assert.Greater(t, r.Need, len(in), size)
			} else {
				assert.Equal(t, ErrBodyTooLarge, err, size)
			}
		}
	}
	_, err = Parse([]byte(chunked+"8000000000000000\r\n"), &r, lim)
	require.Equal(t, ErrBodyTooLarge, err)
}

func TestLargeBodyPath(t *testing.T) {
	lim := Limits{MaxBody: 16, LargeBodyPath: "/events", MaxLargeBody: 64}
	post := func(target string, body string) string {
		return "POST " + target + " HTTP/1.1\r\nHost: h\r\nContent-Length: " +
			strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	chunked := func(target string, chunks ...string) string {
		s := "POST " + target + " HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
		for _, c := range chunks {
			s += strconv.FormatInt(int64(len(c)), 16) + "\r\n" + c + "\r\n"
		}
		return s + "0\r\n\r\n"
	}
	big, huge := strings.Repeat("x", 40), strings.Repeat("x", 65)
	tests := []struct {
		name, in string
		want     error
	}{
		{"small body anywhere", post("/event", "0123456789"), nil},
		{"large body on the large path", post("/events", big), nil},
		{"large body with a query", post("/events?x=1", big), nil},
		{"large body elsewhere", post("/event", big), ErrBodyTooLarge},
		{"path that only starts alike", post("/eventsx", big), ErrBodyTooLarge},
		{"beyond the large limit", post("/events", huge), ErrBodyTooLarge},
		{"chunked on the large path", chunked("/events", big[:20], big[20:]), nil},
		{"chunked elsewhere", chunked("/event", big[:20], big[20:]), ErrBodyTooLarge},
		{"chunked beyond the large limit", chunked("/events", huge[:40], huge[40:]), ErrBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Request
			n, err := Parse([]byte(tt.in), &r, lim)
			assert.Equal(t, tt.want, err)
			if tt.want == nil {
				assert.Equal(t, len(tt.in), n)
			}
			// The resumable parser, fed a byte at a time, reaches the same outcome.
			var st State
			var rr Request
			var rerr error
			for i := 1; i <= len(tt.in); i++ {
				if _, rerr = ParseFrom([]byte(tt.in[:i]), &rr, lim, &st); rerr != ErrNeedMore {
					break
				}
			}
			assert.Equal(t, tt.want, rerr)
		})
	}
}

func TestLargeBodyAllowsMoreChunks(t *testing.T) {
	lim := Limits{LargeBodyPath: "/events", MaxLargeBody: 1 << 20}
	head := "POST /events HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
	n := (1 << 20) / 64
	var r Request
	_, err := Parse([]byte(head+strings.Repeat("1\r\na\r\n", n)+"0\r\n\r\n"), &r, lim)
	require.NoError(t, err)
	assert.Len(t, r.Body, n)
	_, err = Parse([]byte(head+strings.Repeat("1\r\na\r\n", n+1)+"0\r\n\r\n"), &r, lim)
	assert.Equal(t, ErrTooManyChunks, err)
}
