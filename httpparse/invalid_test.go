package httpparse

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allErrors lists every sentinel *Error; TestInvalidCoversEverySentinel
// requires each to be produced by at least one invalid case.
var allErrors = []*Error{
	ErrBadRequestLine, ErrBadMethod, ErrBadTarget, ErrBadVersion,
	ErrVersionNotSupported, ErrRequestLineTooLong, ErrHeadersTooLarge,
	ErrBadHeader, ErrObsFold, ErrBadLineEnding, ErrMissingHost,
	ErrDuplicateHost, ErrBadContentLength, ErrDuplicateContentLength,
	ErrContentLengthWithTransferEncoding, ErrBadTransferEncoding,
	ErrUnsupportedTransferEncoding, ErrBadChunk, ErrBodyTooLarge,
	ErrExpectationFailed,
}

const (
	line11  = "GET / HTTP/1.1\r\n"
	post11  = "POST / HTTP/1.1\r\nHost: a\r\n"
	chunked = post11 + "Transfer-Encoding: chunked\r\n\r\n"
)

type invalidCase struct {
	name string
	in   string
	lim  Limits
	want *Error
}

var invalidCases = []invalidCase{
	// Request line.
	{"empty target", "GET  / HTTP/1.1\r\n", Limits{}, ErrBadRequestLine},
	{"http09 line", "GET /\r\n\r\n", Limits{}, ErrBadRequestLine},
	{"trailing space", "GET / HTTP/1.1 \r\n", Limits{}, ErrBadRequestLine},
	{"leading space", " GET / HTTP/1.1\r\n", Limits{}, ErrBadRequestLine},
	{"tab separator", "GET\t/ HTTP/1.1\r\n", Limits{}, ErrBadRequestLine},
	{"method only", "GET\r\n", Limits{}, ErrBadRequestLine},
	{"too many empty lines", strings.Repeat("\r\n", 5) + line11 + "Host: a\r\n\r\n", Limits{}, ErrBadRequestLine},
	{"method bad char", "GE(T / HTTP/1.1\r\n", Limits{}, ErrBadMethod},
	{"method nul", "G\x00T / HTTP/1.1\r\n", Limits{}, ErrBadMethod},
	{"method slash", "GET/ HTTP/1.1\r\n", Limits{}, ErrBadMethod},
	{"method utf8", "G\xc3\xa9T / HTTP/1.1\r\n", Limits{}, ErrBadMethod},
	{"target del", "GET /a\x7f HTTP/1.1\r\n", Limits{}, ErrBadTarget},
	{"target non-ascii", "GET /\xc3\xa9 HTTP/1.1\r\n", Limits{}, ErrBadTarget},
	{"target ctl", "GET /\x01 HTTP/1.1\r\n", Limits{}, ErrBadTarget},
	{"asterisk not options", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", Limits{}, ErrBadTarget},
	{"asterisk with more", "OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", Limits{}, ErrBadTarget},
	{"connect origin form", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", Limits{}, ErrBadTarget},
	{"connect without port", "CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", Limits{}, ErrBadTarget},
	{"connect empty port", "CONNECT example.com: HTTP/1.1\r\nHost: a\r\n\r\n", Limits{}, ErrBadTarget},
	{"connect bad port", "CONNECT example.com:44x HTTP/1.1\r\nHost: a\r\n\r\n", Limits{}, ErrBadTarget},
	{"authority form not connect", "GET example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", Limits{}, ErrBadTarget},
	{"other scheme", "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", Limits{}, ErrBadTarget},
	{"empty authority", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", Limits{}, ErrBadTarget},
	{"userinfo", "GET http://u@h/ HTTP/1.1\r\nHost: a\r\n\r\n", Limits{}, ErrBadTarget},
	{"fragment", "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", Limits{}, ErrBadTarget},
	{"fragment absolute", "GET HTTPS://h:1/a?q#no HTTP/1.1\r\nHost: a\r\n\r\n", Limits{}, ErrBadTarget},
	{"version lower case", "GET / http/1.1\r\n", Limits{}, ErrBadVersion},
	{"version short", "GET / HTTP/1\r\n", Limits{}, ErrBadVersion},
	{"version two digits", "GET / HTTP/1.10\r\n", Limits{}, ErrBadVersion},
	{"version major two digits", "GET / HTTP/11.1\r\n", Limits{}, ErrBadVersion},
	{"version letters", "GET / HTTP/x.y\r\n", Limits{}, ErrBadVersion},
	{"http2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", Limits{}, ErrVersionNotSupported},
	{"http09 version", "GET / HTTP/0.9\r\n", Limits{}, ErrVersionNotSupported},
	{"request line too long", "GET /" + strings.Repeat("a", 100) + " HTTP/1.1\r\n", Limits{MaxRequestLine: 64}, ErrRequestLineTooLong},
	{"request line one over", "GET /" + strings.Repeat("a", 50) + " HTTP/1.1\r\n", Limits{MaxRequestLine: 65}, ErrRequestLineTooLong},
	{"request line endless", strings.Repeat("A", 9000), Limits{}, ErrRequestLineTooLong},

	// Header section.
	{"header bytes", line11 + "Host: a\r\nX: " + strings.Repeat("v", 100) + "\r\n\r\n", Limits{MaxHeaderBytes: 64}, ErrHeadersTooLarge},
	{"header bytes endless", line11 + "X: " + strings.Repeat("v", 9000), Limits{}, ErrHeadersTooLarge},
	{"header count", line11 + "Host: a\r\n" + strings.Repeat("X: y\r\n", 64) + "\r\n", Limits{}, ErrHeadersTooLarge},
	{"header count custom", line11 + "Host: a\r\nA: 1\r\nB: 2\r\n\r\n", Limits{MaxHeaders: 2}, ErrHeadersTooLarge},
	{"space in name", line11 + "Foo bar: x\r\n", Limits{}, ErrBadHeader},
	{"space before colon", line11 + "Host : a\r\n", Limits{}, ErrBadHeader},
	{"tab before colon", line11 + "Host\t: a\r\n", Limits{}, ErrBadHeader},
	{"empty name", line11 + ": x\r\n", Limits{}, ErrBadHeader},
	{"nul in name", line11 + "Fo\x00o: x\r\n", Limits{}, ErrBadHeader},
	{"no colon", line11 + "Host\r\n\r\n", Limits{}, ErrBadHeader},
	{"nul in value", line11 + "X: a\x00b\r\n", Limits{}, ErrBadHeader},
	{"del in value", line11 + "X: a\x7fb\r\n", Limits{}, ErrBadHeader},
	{"ctl in value", line11 + "X: \x1b[0m\r\n", Limits{}, ErrBadHeader},
	{"bad host char", line11 + "Host: a b\r\n\r\n", Limits{}, ErrBadHeader},
	{"host userinfo", line11 + "Host: u@a\r\n\r\n", Limits{}, ErrBadHeader},
	{"obs-fold", line11 + "Host: a\r\nX: a\r\n b\r\n\r\n", Limits{}, ErrObsFold},
	{"obs-fold tab", line11 + "Host: a\r\nX: a\r\n\tb\r\n\r\n", Limits{}, ErrObsFold},
	{"whitespace before first field", line11 + " Host: a\r\n\r\n", Limits{}, ErrObsFold},

	// Line endings.
	{"bare lf leading", "\nGET / HTTP/1.1\r\n", Limits{}, ErrBadLineEnding},
	{"bare cr leading", "\rGET / HTTP/1.1\r\n", Limits{}, ErrBadLineEnding},
	{"bare lf request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", Limits{}, ErrBadLineEnding},
	{"bare cr request line", "GET / HTTP/1.1\rHost: a\r\n\r\n", Limits{}, ErrBadLineEnding},
	{"bare lf in target", "GET /\n HTTP/1.1\r\n", Limits{}, ErrBadLineEnding},
	{"bare cr in method", "GET\rX / HTTP/1.1\r\n", Limits{}, ErrBadLineEnding},
	{"bare lf after method", "GET\n", Limits{}, ErrBadLineEnding},
	{"bare lf in version", "GET / HTTP/1\n", Limits{}, ErrBadLineEnding},
	{"bare lf header", line11 + "Host: a\n\r\n", Limits{}, ErrBadLineEnding},
	{"bare cr header", line11 + "Host: a\rX: b\r\n\r\n", Limits{}, ErrBadLineEnding},
	{"bare lf in name", line11 + "Host\n", Limits{}, ErrBadLineEnding},
	{"bare lf end of headers", line11 + "Host: a\r\n\n", Limits{}, ErrBadLineEnding},
	{"bare cr end of headers", line11 + "Host: a\r\n\rX", Limits{}, ErrBadLineEnding},
	{"bare lf chunk size", chunked + "5\nhello\r\n0\r\n\r\n", Limits{}, ErrBadLineEnding},
	{"bare cr chunk size", chunked + "5\rhello\r\n0\r\n\r\n", Limits{}, ErrBadLineEnding},
	{"bare cr after data", chunked + "5\r\nhello\rx0\r\n\r\n", Limits{}, ErrBadLineEnding},
	{"bare lf trailer", chunked + "0\r\nX: 1\n\r\n", Limits{}, ErrBadLineEnding},

	// Host.
	{"missing host", line11 + "\r\n", Limits{}, ErrMissingHost},
	{"missing host with body", "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx", Limits{}, ErrMissingHost},
	{"duplicate host", line11 + "Host: a\r\nHost: a\r\n\r\n", Limits{}, ErrDuplicateHost},
	{"duplicate host http10", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", Limits{}, ErrDuplicateHost},

	// Content-Length.
	{"cl letters", post11 + "Content-Length: abc\r\n\r\n", Limits{}, ErrBadContentLength},
	{"cl negative", post11 + "Content-Length: -1\r\n\r\n", Limits{}, ErrBadContentLength},
	{"cl plus", post11 + "Content-Length: +5\r\n\r\n", Limits{}, ErrBadContentLength},
	{"cl list", post11 + "Content-Length: 1,1\r\n\r\nx", Limits{}, ErrBadContentLength},
	{"cl inner space", post11 + "Content-Length: 1 1\r\n\r\n", Limits{}, ErrBadContentLength},
	{"cl empty", post11 + "Content-Length:\r\n\r\n", Limits{}, ErrBadContentLength},
	{"cl hex", post11 + "Content-Length: 0x10\r\n\r\n", Limits{}, ErrBadContentLength},
	{"cl too many digits", post11 + "Content-Length: 0000000000000000001\r\n\r\n", Limits{}, ErrBadContentLength},
	{"cl overflow", post11 + "Content-Length: 99999999999999999999999\r\n\r\n", Limits{}, ErrBadContentLength},
	{"cl duplicate identical", post11 + "Content-Length: 1\r\nContent-Length: 1\r\n\r\nx", Limits{}, ErrDuplicateContentLength},
	{"cl duplicate different", post11 + "content-length: 1\r\nCONTENT-LENGTH: 2\r\n\r\nxx", Limits{}, ErrDuplicateContentLength},
	{"cl then te", post11 + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", Limits{}, ErrContentLengthWithTransferEncoding},
	{"te then cl", post11 + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", Limits{}, ErrContentLengthWithTransferEncoding},

	// Transfer-Encoding.
	{"te chunked twice", post11 + "Transfer-Encoding: chunked, chunked\r\n\r\n", Limits{}, ErrBadTransferEncoding},
	{"te chunked twice fields", post11 + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", Limits{}, ErrBadTransferEncoding},
	{"te chunked not last", post11 + "Transfer-Encoding: chunked, gzip\r\n\r\n", Limits{}, ErrBadTransferEncoding},
	{"te empty", post11 + "Transfer-Encoding:\r\n\r\n", Limits{}, ErrBadTransferEncoding},
	{"te only commas", post11 + "Transfer-Encoding: , ,\r\n\r\n", Limits{}, ErrBadTransferEncoding},
	{"te chunked with params", post11 + "Transfer-Encoding: chunked;q=1\r\n\r\n", Limits{}, ErrBadTransferEncoding},
	{"te garbage", post11 + "Transfer-Encoding: \"chunked\"\r\n\r\n", Limits{}, ErrBadTransferEncoding},
	{"te in http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", Limits{}, ErrBadTransferEncoding},
	{"te gzip", post11 + "Transfer-Encoding: gzip\r\n\r\n", Limits{}, ErrUnsupportedTransferEncoding},
	{"te gzip chunked", post11 + "Transfer-Encoding: gzip, chunked\r\n\r\n", Limits{}, ErrUnsupportedTransferEncoding},
	{"te identity", post11 + "Transfer-Encoding: identity\r\n\r\n", Limits{}, ErrUnsupportedTransferEncoding},
	{"te with params", post11 + "Transfer-Encoding: foo;a=b\r\n\r\n", Limits{}, ErrUnsupportedTransferEncoding},

	// Chunked framing.
	{"chunk size not hex", chunked + "x\r\n", Limits{}, ErrBadChunk},
	{"chunk size empty", chunked + "\r\n", Limits{}, ErrBadChunk},
	{"chunk size 17 digits", chunked + "00000000000000001\r\nx\r\n0\r\n\r\n", Limits{}, ErrBadChunk},
	{"chunk size negative", chunked + "-1\r\n", Limits{}, ErrBadChunk},
	{"chunk data too long", chunked + "5\r\nhelloX\r\n0\r\n\r\n", Limits{}, ErrBadChunk},
	{"chunk ext empty name", chunked + "5;\r\nhello\r\n0\r\n\r\n", Limits{}, ErrBadChunk},
	{"chunk ext empty value", chunked + "5;a=\r\nhello\r\n0\r\n\r\n", Limits{}, ErrBadChunk},
	{"chunk ext bad name", chunked + "5;a@b\r\nhello\r\n0\r\n\r\n", Limits{}, ErrBadChunk},
	{"chunk ext no semicolon", chunked + "5 a\r\nhello\r\n0\r\n\r\n", Limits{}, ErrBadChunk},
	{"chunk trailing bws", chunked + "5 \r\nhello\r\n0\r\n\r\n", Limits{}, ErrBadChunk},
	{"chunk ext trailing bws", chunked + "5;a=b \r\nhello\r\n0\r\n\r\n", Limits{}, ErrBadChunk},
	{"chunk ext unterminated quote", chunked + "5;a=\"b\r\nhello\r\n0\r\n\r\n", Limits{}, ErrBadChunk},
	{"chunk ext ctl in quote", chunked + "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", Limits{}, ErrBadChunk},
	{"chunk line too long", chunked + "5;a=\"" + strings.Repeat("x", 5000) + "\"\r\nhello\r\n0\r\n\r\n", Limits{}, ErrBadChunk},
	{"chunk line endless", chunked + "5;a=" + strings.Repeat("x", 5000), Limits{}, ErrBadChunk},
	{"trailer bad name", chunked + "0\r\nX Y: 1\r\n\r\n", Limits{}, ErrBadChunk},
	{"trailer obs-fold", chunked + "0\r\nX: 1\r\n 2\r\n\r\n", Limits{}, ErrBadChunk},
	{"trailer nul", chunked + "0\r\nX: \x00\r\n\r\n", Limits{}, ErrBadChunk},
	{"trailer too large", chunked + "0\r\nX: " + strings.Repeat("v", 100) + "\r\n\r\n", Limits{MaxHeaderBytes: 80}, ErrHeadersTooLarge},
	{"trailer too many", chunked + "0\r\n" + strings.Repeat("X: 1\r\n", 3) + "\r\n", Limits{MaxHeaders: 2}, ErrHeadersTooLarge},

	// Body size.
	{"cl over max", post11 + "Content-Length: 65537\r\n\r\n", Limits{}, ErrBodyTooLarge},
	{"cl over custom max", post11 + "Content-Length: 11\r\n\r\n", Limits{MaxBody: 10}, ErrBodyTooLarge},
	{"chunk over max", chunked + "10001\r\n", Limits{}, ErrBodyTooLarge},
	{"chunk size huge", chunked + "ffffffffffffffff\r\n", Limits{}, ErrBodyTooLarge},
	{"chunks sum over max", chunked + "6\r\nabcdef\r\n5\r\n", Limits{MaxBody: 10}, ErrBodyTooLarge},
	{"chunk framing over raw bound", chunked + strings.Repeat("1;a="+strings.Repeat("e", 4000)+"\r\nx\r\n", 5), Limits{MaxBody: 16}, ErrBodyTooLarge},
	// 4 chunks of 4097 raw bytes, then a 22-byte size line announcing 12 bytes:
	// 16388+22+12+2 > 2*16+16384, although 4+12 decoded bytes fit MaxBody.
	{"chunk cannot end in raw bound", chunked + strings.Repeat("1;"+strings.Repeat("e", 4090)+"\r\nx\r\n", 4) + "c;" + strings.Repeat("e", 18) + "\r\n", Limits{MaxBody: 16}, ErrBodyTooLarge},

	// Expect.
	{"expect other", post11 + "Expect: 200-ok\r\n\r\n", Limits{}, ErrExpectationFailed},
	{"expect list", post11 + "Expect: 100-continue, foo\r\n\r\n", Limits{}, ErrExpectationFailed},
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			var r Request
			n, err := Parse([]byte(tc.in), &r, tc.lim)
			assert.Zero(t, n)
			require.Equal(t, tc.want, err, "got %v, want %v", err, tc.want)
		})
	}
}

func TestInvalidCoversEverySentinel(t *testing.T) {
	hit := map[*Error]bool{}
	for _, tc := range invalidCases {
		hit[tc.want] = true
	}
	for _, e := range allErrors {
		assert.True(t, hit[e], "no invalid case yields %q", e.Reason)
	}
	statuses := map[int]bool{400: true, 413: true, 414: true, 417: true, 431: true, 501: true, 505: true}
	for _, e := range allErrors {
		assert.True(t, statuses[e.Status], "%q has status %d", e.Reason, e.Status)
		assert.NotContains(t, e.Reason, `"`)
		assert.NotContains(t, e.Reason, `\`)
		assert.Equal(t, strings.ToLower(e.Reason), e.Reason)
	}
}

func TestTooManyChunks(t *testing.T) {
	head := "POST /event HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	var req Request
	ok := head + strings.Repeat("1\r\na\r\n", maxChunks) + "0\r\n\r\n"
	n, err := Parse([]byte(ok), &req, Limits{})
	require.NoError(t, err)
	assert.Equal(t, len(ok), n)
	assert.Len(t, req.Body, maxChunks)

	tooMany := head + strings.Repeat("1\r\na\r\n", maxChunks+1)
	_, err = Parse([]byte(tooMany), &req, Limits{})
	assert.ErrorIs(t, err, ErrTooManyChunks)
	assert.Equal(t, 413, ErrTooManyChunks.Status)
}
