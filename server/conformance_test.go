package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// conformanceCase is one exchange on a fresh raw connection to the daemon: writes are sent
// in order with a pause between them (so that they arrive as separate reads), then the
// responses are read in order.
type conformanceCase struct {
	rule   string   // the RFC section enforced, and how
	writes []string // the bytes the client sends, one write each
	want   []int    // the statuses answered, in order, 100 Continue included
	// closed: the daemon closes the connection after the last response. Otherwise the
	// connection must still serve a GET /health.
	closed bool
	events int64 // events the exchange adds to /stats; 0 for every rejected request
	head   bool  // the first request is HEAD: its response has no body
	check  func(t *testing.T, rs []*wireResponse)
}

// wireResponse is a response read off the socket, with its body.
type wireResponse struct {
	*http.Response
	body string
}

// evBody is a valid event body of 24 bytes (0x18).
const evBody = `{"userId":"c","value":1}`

// evHead is the header section of a POST /event carrying evBody, with extra field lines.
func evHead(extra ...string) string {
	return "POST /event HTTP/1.1\r\nHost: t\r\n" + strings.Join(extra, "") + "Content-Length: 24\r\n\r\n"
}

// chunkedPost starts a chunked POST /event with the given Transfer-Encoding value.
func chunkedPost(te string) string {
	return "POST /event HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: " + te + "\r\n\r\n"
}

const (
	healthReq = "GET /health HTTP/1.1\r\nHost: t\r\n\r\n"
	statsReq  = "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n"
	// oneChunk is evBody as a single chunk and the last chunk.
	oneChunk = "18\r\n" + evBody + "\r\n0\r\n\r\n"
)

func get(target, version string, fields ...string) string {
	return "GET " + target + " " + version + "\r\n" + strings.Join(fields, "") + "\r\n"
}

// splitEvery cuts s into pieces of n bytes.
func splitEvery(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

func headerIs(field, value string) func(*testing.T, []*wireResponse) {
	return func(t *testing.T, rs []*wireResponse) {
		assert.Equal(t, value, rs[0].Header.Get(field), field)
	}
}

func conformanceCases() []conformanceCase {
	var manyFields strings.Builder
	for i := range 70 {
		fmt.Fprintf(&manyFields, "X-F%d: v\r\n", i)
	}
	post := evHead() + evBody
	return []conformanceCase{
		// Persistence (RFC 9112 §9).
		{rule: "RFC 9112 §9.3: an HTTP/1.1 connection persists by default", writes: []string{healthReq}, want: []int{200},
			check: func(t *testing.T, rs []*wireResponse) {
				assert.False(t, rs[0].Close)
				assert.Empty(t, rs[0].Header.Get("Connection"))
			}},
		{rule: "RFC 9112 §9.6: Connection: close ends the connection; a request behind it is not served",
			writes: []string{get("/health", "HTTP/1.1", "Host: t\r\n", "Connection: close\r\n") + post}, want: []int{200}, closed: true,
			check: func(t *testing.T, rs []*wireResponse) { assert.True(t, rs[0].Close) }},
		{rule: "RFC 9110 §7.6.1: close is found among other options, case-insensitively",
			writes: []string{get("/health", "HTTP/1.1", "Host: t\r\n", "Connection: keep-alive, CLOSE\r\n")}, want: []int{200}, closed: true},
		{rule: "RFC 9112 §9.3: HTTP/1.0 closes by default", writes: []string{get("/health", "HTTP/1.0")}, want: []int{200}, closed: true},
		{rule: "RFC 9112 §9.3, §C.2.2: HTTP/1.0 keep-alive persists and is confirmed",
			writes: []string{get("/health", "HTTP/1.0", "Connection: keep-alive\r\n")}, want: []int{200},
			check: headerIs("Connection", "keep-alive")},
		{rule: "RFC 9112 §9.3: an HTTP/1.0 POST is served, then the connection closes",
			writes: []string{"POST /event HTTP/1.0\r\nContent-Length: 24\r\n\r\n" + evBody}, want: []int{200}, closed: true, events: 1},
		{rule: "RFC 9112 §9.3.2: pipelined requests are answered in order",
			writes: []string{post + get("/nope", "HTTP/1.1", "Host: t\r\n") + statsReq + "DELETE /stats HTTP/1.1\r\nHost: t\r\n\r\n"},
			want:   []int{200, 404, 200, 405}, events: 1},

		// A request cut at arbitrary bytes is reassembled (RFC 9112 §2.1: a message is a
		// byte stream; TCP segments mean nothing).
		{rule: "RFC 9112 §2.1: split inside the method, the target, a field name and the final CRLF",
			writes: []string{"PO", "ST /ev", "ent HTTP/1.1\r\nHo", "st: t\r\nContent-Len", "gth: 24\r\n\r", "\n{\"userId\":", "\"c\",\"value\":1}"},
			want:   []int{200}, events: 1},
		{rule: "RFC 9112 §2.1: split between header section and body, and inside the next request",
			writes: []string{evHead(), evBody + "GET /sta", "ts HTTP/1.1\r\nHost: t\r\n\r\n"}, want: []int{200, 200}, events: 1},
		{rule: "RFC 9112 §2.1: one byte per write", writes: splitEvery(healthReq, 1), want: []int{200}},
		{rule: "RFC 9112 §7.1: split inside a chunk-size line, the chunk data and its CRLF",
			writes: []string{chunkedPost("chunked") + "1", "8\r\n{\"userId\":\"c\",", "\"value\":1}\r", "\n0\r\n", "\r\n"}, want: []int{200}, events: 1},

		// Message bodies (RFC 9112 §6, §7).
		{rule: "RFC 9112 §6.2: Content-Length delimits the body; the next request follows it",
			writes: []string{post + healthReq}, want: []int{200, 200}, events: 1},
		{rule: "RFC 9112 §6.3 ¶7: no Content-Length and no Transfer-Encoding means no body (400 from the decoder)",
			writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\n\r\n" + healthReq}, want: []int{400, 200}},
		{rule: "RFC 9110 §8.6: Content-Length: 0 is an empty body", writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"}, want: []int{400}},
		{rule: "RFC 9110 §8.6: Content-Length with leading zeros", writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 0024\r\n\r\n" + evBody}, want: []int{200}, events: 1},
		{rule: "a well-framed request with a bad JSON body is 400 and the connection goes on",
			writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}"}, want: []int{400}},
		{rule: "RFC 9112 §7.1: a chunked body in several chunks, hex sizes in either case",
			writes: []string{chunkedPost("chunked") + "A\r\n{\"userId\":\r\ne\r\n\"c\",\"value\":1}\r\n0\r\n\r\n"}, want: []int{200}, events: 1},
		{rule: "RFC 9112 §7.1: chunk sizes with leading zeros", writes: []string{chunkedPost("chunked") + "00018\r\n" + evBody + "\r\n000\r\n\r\n"}, want: []int{200}, events: 1},
		{rule: "RFC 9112 §7.1.1: chunk extensions (token, quoted-string, BWS before ;) are ignored",
			writes: []string{chunkedPost("chunked") + "18 ;ext ; name=value;q=\"a \\\" b\"\r\n" + evBody + "\r\n0;last\r\n\r\n"}, want: []int{200}, events: 1},
		{rule: "RFC 9112 §7.1.2: trailer fields are read and ignored; the next request follows",
			writes: []string{chunkedPost("chunked") + "18\r\n" + evBody + "\r\n0\r\nX-Checksum: abc\r\nX-Other: d\r\n\r\n" + healthReq}, want: []int{200, 200}, events: 1},
		{rule: "RFC 9112 §6.1: transfer codings compare case-insensitively", writes: []string{chunkedPost("Chunked") + oneChunk}, want: []int{200}, events: 1},
		{rule: "RFC 9110 §5.6.1: empty list elements in Transfer-Encoding are ignored", writes: []string{chunkedPost(", chunked") + oneChunk}, want: []int{200}, events: 1},

		// Expect (RFC 9110 §10.1.1).
		{rule: "RFC 9110 §10.1.1: Expect: 100-continue gets 100 before the body is sent",
			writes: []string{evHead("Expect: 100-continue\r\n"), evBody}, want: []int{100, 200}, events: 1},
		{rule: "RFC 9110 §10.1.1: no 100 is needed once the body is here", writes: []string{evHead("Expect: 100-continue\r\n") + evBody}, want: []int{200}, events: 1},
		{rule: "RFC 9110 §10.1.1: 100-continue compares case-insensitively", writes: []string{evHead("Expect: 100-Continue\r\n"), evBody}, want: []int{100, 200}, events: 1},
		{rule: "RFC 9110 §10.1.1: an unknown expectation is 417", writes: []string{evHead("Expect: coffee\r\n") + evBody}, want: []int{417}, closed: true},
		{rule: "RFC 9110 §10.1.1: a request refused from its header gets the final status, no 100",
			writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 100000000\r\n\r\n"}, want: []int{413}, closed: true},
		{rule: "RFC 9110 §10.1.1: Expect in HTTP/1.0 is ignored (no 100)",
			writes: []string{"POST /event HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 24\r\n\r\n", evBody}, want: []int{200}, closed: true, events: 1},
		{rule: "RFC 9110 §10.1.1: a 100 does not excuse a malformed body (400 follows)",
			writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n", "zz\r\n"}, want: []int{100, 400}, closed: true},

		// Host (RFC 9112 §3.2).
		{rule: "RFC 9112 §3.2: HTTP/1.1 without Host is 400", writes: []string{get("/health", "HTTP/1.1")}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §3.2: two Host fields are 400", writes: []string{get("/health", "HTTP/1.1", "Host: a\r\n", "Host: b\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §3.2: two identical Host fields are 400 too", writes: []string{get("/health", "HTTP/1.1", "Host: t\r\n", "host: t\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §3.2: an empty Host is allowed", writes: []string{get("/health", "HTTP/1.1", "Host:\r\n")}, want: []int{200}},
		{rule: "RFC 9112 §3.2: HTTP/1.0 needs no Host", writes: []string{get("/health", "HTTP/1.0")}, want: []int{200}, closed: true},
		{rule: "RFC 9110 §7.2: a Host that is not uri-host [:port] is 400", writes: []string{get("/health", "HTTP/1.1", "Host: a b\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §3.2.2: with absolute-form the target's authority wins over Host",
			writes: []string{get("http://example.com/health", "HTTP/1.1", "Host: other\r\n")}, want: []int{200}},

		// Request targets (RFC 9112 §3.2).
		{rule: "RFC 9112 §3.2.1: origin-form with a query routes on the path", writes: []string{get("/stats?verbose=1&x=%20", "HTTP/1.1", "Host: t\r\n")}, want: []int{200}},
		{rule: "RFC 9112 §3.2.1: POST /event with a query is counted", writes: []string{strings.Replace(post, "/event", "/event?src=test", 1)}, want: []int{200}, events: 1},
		{rule: "RFC 9112 §3.2.2: absolute-form is accepted", writes: []string{get("http://example.com:8080/stats", "HTTP/1.1", "Host: example.com:8080\r\n")}, want: []int{200}},
		{rule: "RFC 9112 §3.2.2: absolute-form, scheme case-insensitive, https", writes: []string{get("HTTPS://Example.com/health?x", "HTTP/1.1", "Host: Example.com\r\n")}, want: []int{200}},
		{rule: "RFC 9110 §4.2.3: absolute-form without a path means / (no route: 404)", writes: []string{get("http://example.com", "HTTP/1.1", "Host: example.com\r\n")}, want: []int{404}},
		{rule: "RFC 9112 §3.2.2: absolute-form with another scheme is 400", writes: []string{get("ftp://example.com/health", "HTTP/1.1", "Host: t\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §4.2.4: userinfo in an http URI is 400", writes: []string{get("http://user@example.com/health", "HTTP/1.1", "Host: example.com\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §4.2.1: absolute-form with an empty host is 400", writes: []string{get("http:///health", "HTTP/1.1", "Host: t\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §3.2.4: OPTIONS * is routed: no route serves * (404)", writes: []string{"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n"}, want: []int{404}},
		{rule: "RFC 9112 §3.2.4: asterisk-form with another method is 400", writes: []string{get("*", "HTTP/1.1", "Host: t\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §3.2.3: authority-form with a method other than CONNECT is 400", writes: []string{get("example.com:80", "HTTP/1.1", "Host: t\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §3.2.3: CONNECT authority-form: no route (404)", writes: []string{"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"}, want: []int{404}},
		{rule: "RFC 3986 §3.5: a fragment is not part of a request-target (400)", writes: []string{get("/health#top", "HTTP/1.1", "Host: t\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §3: NUL in the target is 400", writes: []string{get("/hea\x00lth", "HTTP/1.1", "Host: t\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §3: a space inside the target is 400", writes: []string{get("/hea lth", "HTTP/1.1", "Host: t\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §9.1: methods are case-sensitive: get is not GET (405)", writes: []string{"get /health HTTP/1.1\r\nHost: t\r\n\r\n"}, want: []int{405},
			check: headerIs("Allow", "GET, HEAD")},
		{rule: "RFC 9110 §15.5.6: a wrong method is 405 with Allow", writes: []string{"DELETE /event HTTP/1.1\r\nHost: t\r\n\r\n"}, want: []int{405},
			check: headerIs("Allow", "POST")},
		{rule: "RFC 9110 §9.1: a method that is not a token is 400", writes: []string{"G(T /health HTTP/1.1\r\nHost: t\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §9.3.2: HEAD gets the fields of GET without a body", writes: []string{"HEAD /stats HTTP/1.1\r\nHost: t\r\n\r\n"}, want: []int{200}, head: true,
			check: func(t *testing.T, rs []*wireResponse) {
				assert.Positive(t, rs[0].ContentLength)
				assert.Equal(t, "application/json", rs[0].Header.Get("Content-Type"))
			}},

		// Request line and version (RFC 9112 §2.3, §3; RFC 9110 §2.5).
		{rule: "RFC 9112 §2.2: empty lines before the request line are skipped", writes: []string{"\r\n\r\n" + healthReq}, want: []int{200}},
		{rule: "RFC 9112 §3: two spaces after the method are 400", writes: []string{"GET  /health HTTP/1.1\r\nHost: t\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §3: a tab as separator is 400", writes: []string{"GET\t/health HTTP/1.1\r\nHost: t\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §2.3: HTTP-name is case-sensitive (http/1.1 is 400)", writes: []string{get("/health", "http/1.1", "Host: t\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §2.3: one digit per version part (HTTP/1.10 is 400)", writes: []string{get("/health", "HTTP/1.10", "Host: t\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §2.5: HTTP/1.2 is served as HTTP/1.1, the highest minor version onemrc conforms to",
			writes: []string{get("/health", "HTTP/1.2", "Host: t\r\n")}, want: []int{200},
			check: func(t *testing.T, rs []*wireResponse) { assert.Equal(t, "HTTP/1.1", rs[0].Proto) }},
		{rule: "RFC 9110 §15.6.6: HTTP/2.0 in an HTTP/1 request line is 505", writes: []string{get("/health", "HTTP/2.0", "Host: t\r\n")}, want: []int{505}, closed: true},
		{rule: "RFC 9110 §15.6.6: HTTP/3.0 is 505", writes: []string{get("/health", "HTTP/3.0", "Host: t\r\n")}, want: []int{505}, closed: true},
		{rule: "RFC 9110 §15.6.6: HTTP/0.9 written as a version is 505", writes: []string{get("/health", "HTTP/0.9")}, want: []int{505}, closed: true},
		{rule: "RFC 9113 §3.4: the HTTP/2 connection preface is 505", writes: []string{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"}, want: []int{505}, closed: true},
		{rule: "RFC 9112 §3: an HTTP/0.9 simple request (no version) is 400", writes: []string{"GET /health\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §3: a request line over the limit is 414",
			writes: []string{get("/"+strings.Repeat("a", 9000), "HTTP/1.1", "Host: t\r\n")}, want: []int{414}, closed: true},

		// Field syntax (RFC 9112 §2.2, §5; RFC 9110 §5).
		{rule: "RFC 9112 §5.1: whitespace between field name and colon is 400", writes: []string{get("/health", "HTTP/1.1", "Host : t\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §5.1: whitespace before Content-Length's colon is 400 (a smuggling vector)",
			writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nContent-Length : 24\r\n\r\n" + evBody}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §5.2: obs-fold is 400", writes: []string{get("/health", "HTTP/1.1", "Host: t\r\n", "X-A: a\r\n b\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §5.2: obs-fold with a tab is 400", writes: []string{get("/health", "HTTP/1.1", "Host: t\r\n", "X-A: a\r\n\tb\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §2.2: bare LF ending the request line is 400", writes: []string{"GET /health HTTP/1.1\nHost: t\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §2.2: bare LF ending every line is 400", writes: []string{"GET /health HTTP/1.1\nHost: t\n\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §2.2: bare LF ending a field line is 400", writes: []string{"GET /health HTTP/1.1\r\nHost: t\nX: y\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §2.2: bare LF ending the header section is 400", writes: []string{"GET /health HTTP/1.1\r\nHost: t\r\n\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §2.2: bare CR in the request line is 400", writes: []string{"GET /health HTTP/1.1\rHost: t\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §5.5: bare CR inside a field value is 400", writes: []string{get("/health", "HTTP/1.1", "Host: t\r\n", "X-A: a\rb\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §5.5: NUL in a field value is 400", writes: []string{get("/health", "HTTP/1.1", "Host: t\r\n", "X-A: a\x00b\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §5.5: obs-text in a field value is accepted", writes: []string{get("/health", "HTTP/1.1", "Host: t\r\n", "X-A: caf\xc3\xa9\r\n")}, want: []int{200}},
		{rule: "RFC 9110 §5.1: a field name that is not a token is 400", writes: []string{get("/health", "HTTP/1.1", "Host: t\r\n", "X(A): b\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §5: a field line without a colon is 400", writes: []string{get("/health", "HTTP/1.1", "Host: t\r\n", "X-A b\r\n")}, want: []int{400}, closed: true},
		{rule: "RFC 6585 §5: a header section over the limit is 431", writes: []string{get("/health", "HTTP/1.1", "Host: t\r\n", "X-A: "+strings.Repeat("b", 9000)+"\r\n")}, want: []int{431}, closed: true},
		{rule: "RFC 6585 §5: more field lines than the limit is 431", writes: []string{get("/health", "HTTP/1.1", "Host: t\r\n", manyFields.String())}, want: []int{431}, closed: true},

		// Request smuggling: every ambiguous framing is refused and the connection closed,
		// so a request hidden behind it is never served (RFC 9112 §6.1, §6.3, §11.2).
		{rule: "RFC 9112 §6.1: Content-Length with Transfer-Encoding is 400 and the request behind it is not served",
			writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + post}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §6.1: Transfer-Encoding before Content-Length is 400 too",
			writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + post}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §6.3 ¶5: two identical Content-Length fields are 400", writes: []string{evHead("Content-Length: 24\r\n") + evBody}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §6.3 ¶5: two different Content-Length fields are 400", writes: []string{evHead("Content-Length: 5\r\n") + evBody}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §6.3 ¶5: a Content-Length list \"24, 24\" is 400", writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 24, 24\r\n\r\n" + evBody}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §8.6: a non-numeric Content-Length is 400", writes: []string{clPost("abc")}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §8.6: a negative Content-Length is 400", writes: []string{clPost("-24")}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §8.6: a signed Content-Length (+24) is 400", writes: []string{clPost("+24")}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §8.6: a hex Content-Length (0x18) is 400", writes: []string{clPost("0x18")}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §8.6: a Content-Length with inner space is 400", writes: []string{clPost("2 4")}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §8.6: an empty Content-Length is 400", writes: []string{clPost("")}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §8.6: a Content-Length that overflows 64 bits is 400", writes: []string{clPost("99999999999999999999999")}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §15.5.14: a well-formed Content-Length over the limit is 413 before the body is read",
			writes: []string{clPost("100000000000")}, want: []int{413}, closed: true},
		{rule: "RFC 9112 §6.1: a transfer coding other than chunked is 501", writes: []string{chunkedPost("gzip") + evBody}, want: []int{501}, closed: true},
		{rule: "RFC 9112 §6.1: gzip before chunked is 501 (onemrc decodes no content codings)", writes: []string{chunkedPost("gzip, chunked") + oneChunk}, want: []int{501}, closed: true},
		{rule: "RFC 9112 §6.3 ¶4: chunked not last is 400", writes: []string{chunkedPost("chunked, gzip") + oneChunk}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §6.1: chunked twice is 400", writes: []string{chunkedPost("chunked, chunked") + oneChunk}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §6.1: chunked in two Transfer-Encoding fields is 400",
			writes: []string{"POST /event HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + oneChunk}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §6.1: an empty Transfer-Encoding is 400", writes: []string{chunkedPost("") + oneChunk}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §6.1: a quoted \"chunked\" is not chunked (400)", writes: []string{chunkedPost(`"chunked"`) + oneChunk}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §6.1: a vertical tab before chunked is 400", writes: []string{chunkedPost("\x0bchunked") + oneChunk}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing (400, close)",
			writes: []string{"POST /event HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + oneChunk}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §7.1: a non-hex chunk size is 400", writes: []string{chunkedPost("chunked") + "zz\r\n" + evBody + "\r\n0\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §7.1: a chunk size overflowing 64 bits is 400", writes: []string{chunkedPost("chunked") + "100000000000000018\r\n" + evBody + "\r\n0\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §15.5.14: a 64-bit chunk size over the body limit is 413", writes: []string{chunkedPost("chunked") + "ffffffffffffffff\r\n" + evBody}, want: []int{413}, closed: true},
		{rule: "RFC 9112 §7.1: an empty chunk size is 400", writes: []string{chunkedPost("chunked") + "\r\n" + evBody + "\r\n0\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §7.1: a space before the chunk size is 400", writes: []string{chunkedPost("chunked") + " 18\r\n" + evBody + "\r\n0\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §7.1.1: a space after the chunk size without an extension is 400", writes: []string{chunkedPost("chunked") + "18 \r\n" + evBody + "\r\n0\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §7.1: a negative chunk size is 400", writes: []string{chunkedPost("chunked") + "-18\r\n" + evBody + "\r\n0\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §7.1: a 0x-prefixed chunk size is 400", writes: []string{chunkedPost("chunked") + "0x18\r\n" + evBody + "\r\n0\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §2.2: a chunk-size line ended by bare LF is 400", writes: []string{chunkedPost("chunked") + "18\n" + evBody + "\r\n0\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §7.1: chunk data longer than its size (no CRLF after it) is 400", writes: []string{chunkedPost("chunked") + "17\r\n" + evBody + "\r\n0\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §2.2: chunk data ended by bare LF is 400", writes: []string{chunkedPost("chunked") + "18\r\n" + evBody + "\n0\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9112 §7.1.2: a malformed trailer field is 400", writes: []string{chunkedPost("chunked") + "18\r\n" + evBody + "\r\n0\r\nBad Trailer\r\n\r\n"}, want: []int{400}, closed: true},
		{rule: "RFC 9110 §15.5.14: a chunked body over the limit is 413", writes: []string{chunkedPost("chunked") + "10001\r\n" + evBody}, want: []int{413}, closed: true},
	}
}

func clPost(cl string) string {
	return "POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: " + cl + "\r\n\r\n" + evBody
}

// exchange runs one case on a fresh connection and returns the responses.
func (tc *conformanceCase) exchange(t *testing.T, d *testDaemon) []*wireResponse {
	c := d.dial()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	for i, w := range tc.writes {
		if i > 0 {
			time.Sleep(15 * time.Millisecond)
		}
		_, err := c.Write([]byte(w))
		require.NoError(t, err, "write %d", i)
	}
	br := bufio.NewReader(c)
	rs := make([]*wireResponse, 0, len(tc.want))
	for i, want := range tc.want {
		var req *http.Request
		if i == 0 && tc.head {
			req = &http.Request{Method: http.MethodHead}
		}
		resp, err := http.ReadResponse(br, req)
		require.NoError(t, err, "response %d", i)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err, "response %d body", i)
		require.Equal(t, want, resp.StatusCode, "response %d: %s", i, body)
		require.Equal(t, "HTTP/1.1", resp.Proto)
		if want != http.StatusContinue {
			// RFC 9110 §6.6.1: an origin server with a clock sends Date.
			assert.NotEmpty(t, resp.Header.Get("Date"), "response %d has no Date", i)
			assert.NotEmpty(t, resp.Header.Get("Content-Length"), "response %d has no Content-Length", i)
		}
		rs = append(rs, &wireResponse{Response: resp, body: string(body)})
	}
	last := rs[len(rs)-1]
	if tc.closed {
		assert.True(t, last.Close, "a response before closing says Connection: close (RFC 9112 §9.6)")
		requireClosed(t, br)
		return rs
	}
	assert.False(t, last.Close, "the connection was to persist")
	_, err := c.Write([]byte(healthReq))
	require.NoError(t, err)
	probe, err := http.ReadResponse(br, nil)
	require.NoError(t, err, "the connection persists after the exchange")
	_, _ = io.Copy(io.Discard, probe.Body)
	require.Equal(t, 200, probe.StatusCode)
	return rs
}

// requireClosed reads the end of the stream: the daemon must close the connection after
// the responses and send nothing more. A reset counts as closed only when nothing was
// left to read: it means the daemon discarded the rest of the client's bytes.
func requireClosed(t *testing.T, br *bufio.Reader) {
	t.Helper()
	b, err := br.ReadByte()
	switch {
	case err == nil:
		t.Fatalf("byte %q after the last response; want the connection closed", b)
	case errors.Is(err, io.EOF):
	case errors.Is(err, syscall.ECONNRESET):
		t.Logf("closed with a reset")
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the daemon did not close the connection")
		}
		t.Fatalf("reading for EOF: %v", err)
	}
}

// TestConformance runs the table against one daemon, one fresh connection per case, and
// checks after each that /stats moved by exactly the events the case should count.
func TestConformance(t *testing.T) {
	d := startDaemon(t)
	total := d.stats().TotalRequests
	for _, tc := range conformanceCases() {
		t.Run(tc.rule, func(t *testing.T) {
			rs := tc.exchange(t, d)
			if tc.check != nil {
				tc.check(t, rs)
			}
			now := d.stats().TotalRequests
			assert.Equal(t, tc.events, now-total, "events counted")
			total = now
		})
	}
	code, _ := d.get("/health")
	assert.Equal(t, 200, code, "the daemon serves after the whole table")
}

// TestFiftyPipelinedInOneWrite sends 25 POST /event + GET /stats pairs in one write: each
// /stats must show exactly one more event, and the running sum, than the one before, so
// the 50 answers come back in request order (RFC 9112 §9.3.2).
func TestFiftyPipelinedInOneWrite(t *testing.T) {
	d := startDaemon(t)
	base := d.stats()
	var batch []byte
	for k := range 25 {
		batch = append(batch, eventRequest("pipe", strconv.Itoa(k+1))...)
		batch = append(batch, statsReq...)
	}
	c := d.dial()
	_, err := c.Write(batch)
	require.NoError(t, err)
	br := bufio.NewReader(c)
	sum := base.Sum
	for k := range 25 {
		ev, err := http.ReadResponse(br, nil)
		require.NoError(t, err, "pair %d event", k)
		_, _ = io.Copy(io.Discard, ev.Body)
		require.Equal(t, 200, ev.StatusCode, "pair %d event", k)
		st, err := http.ReadResponse(br, nil)
		require.NoError(t, err, "pair %d stats", k)
		body, err := io.ReadAll(st.Body)
		require.NoError(t, err)
		require.Equal(t, 200, st.StatusCode, "pair %d stats", k)
		var s stats
		require.NoError(t, json.Unmarshal(body, &s), "pair %d stats: %s", k, body)
		sum += float64(k + 1)
		require.Equal(t, base.TotalRequests+int64(k+1), s.TotalRequests, "pair %d: %s", k, body)
		require.Equal(t, sum, s.Sum, "pair %d: %s", k, body)
	}
	require.NoError(t, c.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
	_, err = br.ReadByte()
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "nothing after the 50th response (got %v)", err)
}
