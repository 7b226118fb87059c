package httpparse

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// detail is every Request field, filled whatever the outcome: ParseFrom must
// reproduce Parse exactly, on ErrNeedMore (Need, HeaderDone, the fields of
// the complete elements) and on errors too.
type detail struct {
	n              int
	err            error
	method         Method
	methodName     string
	target         string
	path           string
	minor          int
	keepAlive      bool
	expectContinue bool
	headerDone     bool
	need           int
	contentLength  int64
	chunked        bool
	host           string
	hostNil        bool
	body           string
	bodyNil        bool
}

func detailOf(n int, err error, r *Request) detail {
	return detail{
		n: n, err: err, method: r.Method, methodName: string(r.MethodName),
		target: string(r.Target), path: string(r.Path), minor: r.Minor,
		keepAlive: r.KeepAlive, expectContinue: r.ExpectContinue,
		headerDone: r.HeaderDone, need: r.Need, contentLength: r.ContentLength,
		chunked: r.Chunked, host: string(r.Host), hostNil: r.Host == nil,
		body: string(r.Body), bodyNil: r.Body == nil,
	}
}

// trickled is what a caller of ParseFrom that skips every call Blocked
// allows to skip saw of a stream.
type trickled struct {
	results []detail // each complete request in order, then the error, if any
	calls   int      // ParseFrom calls
	// scanned sums, over the calls, the bytes from the element the call
	// resumes at to the end of its buffer: a bound on what the calls scan.
	scanned int
	blocked bool // the stream ended with the parser blocked on a partial request
}

// feedOpts tune feedResume: check compares every call with Parse of the same
// bytes (quadratic: small inputs only); move copies the buffer to fresh
// memory on every read and poisons the old copy, as gnet's buffers move and
// get reused, so a view kept from an earlier call would read garbage.
type feedOpts struct{ check, move bool }

// feedResume delivers in to ParseFrom the way the event loop does: reads of
// cut(i) bytes (at least 1; the rest when cut returns more), every complete
// request consumed at once, a call skipped whenever Blocked says so. With
// opts.check, every call must give exactly what Parse gives for the same
// bytes, and every skipped call must be one where Parse would not complete a
// request either.
func feedResume(tb testing.TB, in []byte, lim Limits, cut func(i int) int, opts feedOpts) trickled {
	tb.Helper()
	var (
		tr      trickled
		st      State
		req     Request
		buf     []byte
		scanned int
	)
	for i, delivered := 0, 0; delivered < len(in); i++ {
		k := min(max(cut(i), 1), len(in)-delivered)
		if opts.move {
			moved := make([]byte, len(buf)+k) // exact capacity: nothing past the delivered bytes
			copy(moved, buf)
			for j := range buf {
				buf[j] = 0xEE
			}
			buf = moved[:len(buf)]
		}
		buf = append(buf, in[delivered:delivered+k]...)
		delivered += k
		for len(buf) > 0 {
			if st.Blocked(buf, scanned) {
				if opts.check {
					var r Request
					n, err := Parse(buf, &r, lim)
					require.Zero(tb, n, "Blocked, yet Parse completes a request in %q", buf)
					require.Error(tb, err)
				}
				scanned = len(buf)
				break
			}
			tr.calls++
			tr.scanned += len(buf) - resumePoint(&st, len(buf))
			n, err := ParseFrom(buf, &req, lim, &st)
			got := detailOf(n, err, &req)
			if opts.check {
				var r Request
				n2, err2 := Parse(buf, &r, lim)
				require.Equal(tb, detailOf(n2, err2, &r), got, "ParseFrom differs from Parse on %q", buf)
			}
			if err == ErrNeedMore {
				scanned = len(buf)
				break
			}
			tr.results = append(tr.results, got)
			if err != nil {
				require.Equal(tb, State{}, st, "state not reset after an error")
				return tr
			}
			require.Equal(tb, State{}, st, "state not reset after a request")
			buf, scanned = buf[n:], 0
		}
	}
	tr.blocked = len(buf) > 0
	return tr
}

// resumePoint is where a ParseFrom call on a buffer of n bytes starts
// scanning: the first incomplete element. A Content-Length body is not
// scanned at all.
func resumePoint(st *State, n int) int {
	switch st.phase {
	case phaseFields, phaseTrailers:
		return st.progress.sec.next
	case phaseChunks:
		return st.progress.body.next
	case phaseBody:
		return n
	}
	return 0
}

// parseStream is the reference: Parse over the whole stream at once,
// request after request, up to the first error or partial request.
func parseStream(in []byte, lim Limits) (results []detail, partial bool) {
	var r Request
	for len(in) > 0 {
		n, err := Parse(in, &r, lim)
		if err == ErrNeedMore {
			return results, true
		}
		results = append(results, detailOf(n, err, &r))
		if err != nil {
			return results, false
		}
		in = in[n:]
	}
	return results, false
}

func byteAtATime(int) int { return 1 }

// chunkedHead is a request head announcing a chunked body.
const chunkedHead = "POST /event HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

// longExtChunks returns a chunked body of n chunks of 16 data bytes, each
// size line carrying extensions of about ext bytes, then trailers lines of
// trailer fields.
func longExtChunks(n, ext, trailers int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("10")
		for j := 0; j < ext/11; j++ {
			b.WriteString(" ;e" + strconv.Itoa(j%10) + "=\"v\\\"w\"")
		}
		b.WriteString("\r\n" + strings.Repeat(string(rune('a'+i%26)), 16) + "\r\n")
	}
	b.WriteString("0;last=1\r\n")
	for i := 0; i < trailers; i++ {
		b.WriteString("X-Trailer-" + strconv.Itoa(i) + ": " + strings.Repeat("t", 40) + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// manyChunks returns a chunked body of n one-byte chunks.
func manyChunks(n int) string {
	return strings.Repeat("1\r\nx\r\n", n) + "0\r\n\r\n"
}

// header8K returns a POST whose header section is about 8 KB: 60 field lines.
func header8K() string {
	var b strings.Builder
	b.WriteString("POST /event HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n")
	for i := 0; i < 60; i++ {
		b.WriteString("X-Field-" + strconv.Itoa(100+i) + ": " + strings.Repeat("v", 115) + "\r\n")
	}
	b.WriteString("Content-Length: 35\r\n\r\n" + eventBody)
	return b.String()
}

// resumeInputs are the streams every resumption test runs over: the real
// captures, the valid and invalid tables, and chunked bodies with long
// extensions, many chunks and trailers.
func resumeInputs(t *testing.T) []splitInput {
	ins := splitInputs(t)
	for _, tc := range invalidCases {
		if len(tc.in) <= 4096 {
			ins = append(ins, splitInput{"invalid " + tc.name, []byte(tc.in), tc.lim})
		}
	}
	chunkedCases := []struct{ name, body string }{
		{"long extensions", longExtChunks(3, 300, 0)},
		{"long extensions and trailers", longExtChunks(2, 100, 5)},
		{"many chunks", manyChunks(40)},
		{"quoted extension with CRLF-like escapes", "3;q=\"a\\\\r\\\\n\"\r\nabc\r\n0\r\n\r\n"},
		{"bad byte in extension", "3;e=\x01\r\nabc\r\n0\r\n\r\n"},
		{"bare CR in size line", "3\rx\r\nabc\r\n0\r\n\r\n"},
		{"bad byte in trailer", "0\r\nX: a\x7fb\r\n\r\n"},
		{"data longer than size", "3\r\nabcd\r\n0\r\n\r\n"},
	}
	for _, c := range chunkedCases {
		ins = append(ins, splitInput{"chunked " + c.name, []byte(chunkedHead + c.body), Limits{}})
	}
	ins = append(ins, splitInput{"header 8K", []byte(header8K()), Limits{}})
	ins = append(ins, splitInput{"pipelined", []byte(crlf("GET /a HTTP/1.1\nHost: a\n\n") + chunkedHead +
		manyChunks(3) + crlf("POST /b HTTP/1.1\nHost: b\nContent-Length: 2\n\nhiGET /c HTTP/1.1\nHost: c\n\n")), Limits{}})
	return ins
}

// TestResumeMatchesParse feeds every input byte by byte, in two pieces at
// every split point, and in reads of a few sizes: each ParseFrom call gives
// what Parse gives for the same bytes, no call is skipped that Parse would
// complete, and the requests found equal those of Parse over the whole
// stream. A framing error may be reported later than Parse reports it on a
// prefix (once the line's '\n' or limit arrives) but never with another
// status than Parse gives for the whole stream.
func TestResumeMatchesParse(t *testing.T) {
	for _, in := range resumeInputs(t) {
		t.Run(in.name, func(t *testing.T) {
			want, partial := parseStream(in.in, in.lim)
			cuts := map[string]func(int) int{"byte at a time": byteAtATime}
			for _, size := range []int{2, 3, 7, 64} {
				cuts["reads of "+strconv.Itoa(size)] = func(int) int { return size }
			}
			step := 1 + len(in.in)/1024 // every split point of the small inputs; ~1,000 of the 8 KB one
			for k := 1; k < len(in.in); k += step {
				cuts["split at "+strconv.Itoa(k)] = func(i int) int {
					if i == 0 {
						return k
					}
					return len(in.in)
				}
			}
			for name, cut := range cuts {
				got := feedResume(t, in.in, in.lim, cut, feedOpts{check: true, move: true})
				compareStreams(t, name, want, partial, got)
			}
		})
	}
}

// compareStreams checks a trickled run against Parse over the whole stream.
func compareStreams(t *testing.T, name string, want []detail, partial bool, got trickled) {
	t.Helper()
	last := len(want) - 1
	if last < 0 || want[last].err == nil {
		// No error: the same requests, and a blocked tail only if Parse saw
		// one too.
		require.Equal(t, want, got.results, name)
		require.Equal(t, partial, got.blocked, name)
		return
	}
	if last > 0 {
		require.Equal(t, want[:last], got.results[:min(last, len(got.results))], name)
	}
	switch {
	case len(got.results) == last:
		// The error is still waiting for its line to end or to cross a limit.
		require.True(t, got.blocked, "%s: the stream ended without the error %v", name, want[last].err)
	default:
		require.Len(t, got.results, last+1, name)
		assert.Equal(t, want[last].err.(*Error).Status, got.results[last].err.(*Error).Status,
			"%s: %v whole, %v trickled", name, want[last].err, got.results[last].err)
	}
}

// TestResumeWaits checks what the parser waits for after a partial request:
// the exact length of a body or chunk, or the end of a line with the length
// at which its limit is crossed.
func TestResumeWaits(t *testing.T) {
	small := Limits{MaxRequestLine: 40, MaxHeaderBytes: 60, MaxBody: 100}
	tests := []struct {
		name    string
		in      string
		lim     Limits
		phase   phase
		need    int // Request.Need
		lineEnd int // 0: no line wait
	}{
		{"empty", "", Limits{}, phaseRequestLine, 1, 0},
		{"half an empty line", "\r", Limits{}, phaseRequestLine, 2, 0},
		{"request line", "GET /abc", small, phaseRequestLine, 9, 40},
		{"request line after empty lines", "\r\n\r\nGET /abc", small, phaseRequestLine, 13, 44},
		{"request line CR", "GET / HTTP/1.1\r", small, phaseRequestLine, 16, 40},
		{"first field line", "GET / HTTP/1.1\r\nHo", small, phaseFields, 19, 16 + 60},
		{"second field line", "GET / HTTP/1.1\r\nHost: a\r\nX: 1", small, phaseFields, 30, 16 + 60},
		{"final CR", "GET / HTTP/1.1\r\nHost: a\r\n\r", small, phaseFields, 27, 16 + 60},
		{"content-length body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab", small, phaseBody, 47 + 5, 0},
		{"chunk size line", chunkedHead + "5;ext", Limits{}, phaseChunks, len(chunkedHead) + 6, len(chunkedHead) + chunkLineMax},
		{"chunk size line near the raw bound", chunkedHead + strings.Repeat("1;"+strings.Repeat("e", 3990)+"\r\nx\r\n", 4) + "1;e",
			Limits{MaxBody: 16}, phaseChunks, len(chunkedHead) + 4*3997 + 4, len(chunkedHead) + 2*16 + chunkedSlack},
		{"header count reached", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n", Limits{MaxHeaders: 2}, phaseFields, 32, 0},
		{"header count reached, CR", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r", Limits{MaxHeaders: 2}, phaseFields, 33, 16 + DefaultMaxHeaderBytes},
		{"chunk data", chunkedHead + "5\r\nhel", Limits{}, phaseChunks, len(chunkedHead) + 10, 0},
		{"chunk data CRLF", chunkedHead + "5\r\nhello\r", Limits{}, phaseChunks, len(chunkedHead) + 10, 0},
		{"trailer line", chunkedHead + "0\r\nX-T", small, phaseTrailers, len(chunkedHead) + 7, len(chunkedHead) + 3 + 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st State
			var r Request
			buf := []byte(tt.in)
			_, err := ParseFrom(buf, &r, tt.lim, &st)
			require.Equal(t, ErrNeedMore, err)
			assert.Equal(t, tt.phase, st.phase)
			assert.Equal(t, tt.need, r.Need)
			assert.Equal(t, tt.lineEnd, st.lineEnd)
			assert.True(t, st.Blocked(buf, 0), "no new byte")
			if tt.lineEnd == 0 {
				more := append(append([]byte(nil), buf...), bytes.Repeat([]byte("x"), tt.need-len(buf))...)
				assert.True(t, st.Blocked(more[:tt.need-1], 0))
				assert.False(t, st.Blocked(more, 0), "Need bytes buffered")
				return
			}
			grown := append(append([]byte(nil), buf...), "abc"...)
			assert.True(t, st.Blocked(grown, len(buf)), "no line end")
			assert.False(t, st.Blocked(append(grown, '\n'), len(grown)), "a line end")
			if tt.lineEnd < 1<<20 {
				long := append(append([]byte(nil), buf...), bytes.Repeat([]byte("x"), tt.lineEnd-len(buf))...)
				assert.True(t, st.Blocked(long[:tt.lineEnd-1], len(buf)), "below the limit")
				assert.False(t, st.Blocked(long, len(buf)), "at the limit")
			}
		})
	}
}

// TestResumeLimitsExact grows requests that only a limit rejects one byte at
// a time: ParseFrom, skipping every call Blocked allows, rejects each at the
// very length at which Parse first does, with the same error.
func TestResumeLimitsExact(t *testing.T) {
	small := Limits{MaxRequestLine: 64, MaxHeaderBytes: 128, MaxHeaders: 4, MaxBody: 48}
	tests := []struct {
		name string
		in   string
		lim  Limits
		want *Error
	}{
		{"request line", "GET /" + strings.Repeat("a", 100), small, ErrRequestLineTooLong},
		{"request line default", "GET /" + strings.Repeat("a", DefaultMaxRequestLine), Limits{}, ErrRequestLineTooLong},
		{"header bytes", line11 + "Host: a\r\nX: " + strings.Repeat("v", 200), small, ErrHeadersTooLarge},
		{"header bytes many lines", line11 + strings.Repeat("X: 1\r\n", 3) + "Y: " + strings.Repeat("v", 200), small, ErrHeadersTooLarge},
		{"header count", line11 + strings.Repeat("X: 1\r\n", 4) + "Y: 2\r\n", small, ErrHeadersTooLarge},
		{"chunk line", chunked + "1;" + strings.Repeat("e", chunkLineMax), Limits{}, ErrBadChunk},
		{"chunk line later", chunked + "1\r\nx\r\n1;" + strings.Repeat("e", chunkLineMax), Limits{}, ErrBadChunk},
		{"raw bound", chunked + strings.Repeat("1;"+strings.Repeat("e", 4000)+"\r\nx\r\n", 4) + "1;" + strings.Repeat("e", 4000),
			Limits{MaxBody: 16}, ErrBodyTooLarge},
		{"trailer bytes", chunked + "0\r\nX: " + strings.Repeat("t", 200), small, ErrHeadersTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			var r Request
			parseErr := func(k int) error { _, err := Parse(in[:k], &r, tt.lim); return err }
			// Every prefix is ErrNeedMore up to the limit and an error from
			// there on: search for the first error.
			oneShot := sort.Search(len(in)+1, func(k int) bool { return parseErr(k) != ErrNeedMore })
			require.LessOrEqual(t, oneShot, len(in), "Parse never rejects the input")
			require.Equal(t, tt.want, parseErr(oneShot))
			require.Equal(t, ErrNeedMore, parseErr(oneShot-1))
			got := feedResume(t, in[:oneShot], tt.lim, byteAtATime, feedOpts{})
			require.Len(t, got.results, 1, "ParseFrom had not rejected it at length %d", oneShot)
			assert.Equal(t, tt.want, got.results[0].err)
			short := feedResume(t, in[:oneShot-1], tt.lim, byteAtATime, feedOpts{})
			assert.Empty(t, short.results, "rejected before Parse does")
		})
	}
}

// TestResumeWorkIsLinear trickles large requests one byte at a time: the
// calls that are not skipped number about one per line end, and the bytes
// they scan add up to a small multiple of the size of the request (a chunk's
// size line is scanned twice: when its line end arrives and when its data is
// complete), where re-parsing from byte 0 whenever Need allows (Parse alone)
// costs the square of it.
func TestResumeWorkIsLinear(t *testing.T) {
	tests := []struct {
		name string
		in   string
		lim  Limits
	}{
		{"header 8K", header8K(), Limits{}},
		{"chunked 120K of extensions", chunkedHead + longExtChunks(40, 3000, 0), Limits{}},
		{"1,000 chunks", chunkedHead + manyChunks(1000), Limits{}},
		{"trailers", chunkedHead + longExtChunks(2, 100, 60), Limits{MaxHeaders: 64, MaxHeaderBytes: 8192}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			got := feedResume(t, in, tt.lim, byteAtATime, feedOpts{})
			require.Len(t, got.results, 1)
			require.NoError(t, got.results[0].err)
			lineEnds := bytes.Count(in, []byte("\n"))
			assert.LessOrEqual(t, got.calls, lineEnds+2, "calls")
			assert.LessOrEqual(t, got.scanned, 3*len(in), "bytes scanned")

			if len(in) > 16<<10 {
				t.Logf("%d bytes: %d calls scanning %d bytes; re-parsing from byte 0 (not run): about %d bytes",
					len(in), got.calls, got.scanned, len(in)*len(in)/2)
				return
			}
			reparsed := reparseWork(in, tt.lim)
			t.Logf("%d bytes: %d calls scanning %d bytes; re-parsing from byte 0: %d bytes (%.0fx)",
				len(in), got.calls, got.scanned, reparsed, float64(reparsed)/float64(got.scanned))
		})
	}
}

// reparseWork is the bytes Parse alone examines for a request trickled one
// byte at a time, called whenever Need bytes are buffered.
func reparseWork(in []byte, lim Limits) int {
	var r Request
	work, need := 0, 0
	for k := 1; k <= len(in); k++ {
		if k < need {
			continue
		}
		work += k
		if _, err := Parse(in[:k], &r, lim); err != ErrNeedMore {
			break
		}
		need = r.Need
	}
	return work
}

// TestResumeReset: ParseFrom resets the state after a request and after an
// error; Reset abandons a partial request; a shorter buffer is a caller bug.
func TestResumeReset(t *testing.T) {
	var st State
	var r Request
	in := []byte(chunkedHead + "5\r\nhello\r\n0\r\n\r\n")
	_, err := ParseFrom(in[:len(chunkedHead)+4], &r, Limits{}, &st)
	require.Equal(t, ErrNeedMore, err)
	require.Equal(t, phaseChunks, st.phase)
	n, err := ParseFrom(in, &r, Limits{}, &st)
	require.NoError(t, err)
	assert.Equal(t, len(in), n)
	assert.Equal(t, "hello", string(r.Body))
	assert.Equal(t, State{}, st)

	_, err = ParseFrom(in[:len(chunkedHead)+4], &r, Limits{}, &st)
	require.Equal(t, ErrNeedMore, err)
	_, err = ParseFrom([]byte(chunkedHead+"5\r\nhelloXY"), &r, Limits{}, &st)
	require.Equal(t, ErrBadChunk, err)
	assert.Equal(t, State{}, st)

	_, err = ParseFrom(in[:len(chunkedHead)+4], &r, Limits{}, &st)
	require.Equal(t, ErrNeedMore, err)
	assert.Panics(t, func() { _, _ = ParseFrom(in[:10], &r, Limits{}, &st) })
	st.Reset()
	_, err = ParseFrom([]byte("GET / HTTP/1.1\r\n"), &r, Limits{}, &st)
	require.Equal(t, ErrNeedMore, err, "a new request after Reset")
	assert.False(t, st.Blocked(nil, 0) && State{} == st, "a fresh state never blocks")
	assert.False(t, (&State{}).Blocked([]byte("x"), 0))
}
