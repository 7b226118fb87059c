package main

import (
	"fmt"
	"strings"
)

// trickleChunkLine is the most bytes of one trickled chunk-size line (CRLF included):
// under onemrcd's 4096-byte bound on a chunk line; nginx sets none.
const trickleChunkLine = 4000

// trickleChunkScenario means the same to nginx: it answers `return 200` before the body
// has arrived, but it still reads and parses the chunked framing to discard it
// (ngx_http_discard_request_body), so the GET /health after it is answered only if
// nginx found the body's end.
func trickleChunkScenario() scenario {
	return trickleScenario(scenario{
		Name: "trickle-chunk",
		About: fmt.Sprintf("%d connections each send a chunked POST /event whose %d-byte body (chunk-size lines padded with one long extension, then a valid event) arrives one byte every %v, then ask GET /health on the same connection; CPU time of the server per trickled connection",
			trickleConns, trickleBytes, trickleEvery),
		// The body takes 8-9 s: close to the default body timeout (10 s).
		DaemonArgs: []string{"-header-timeout", "30s", "-body-timeout", "30s"},
	}, func(i int) (head, slow []byte) {
		body := fmt.Sprintf(`{"userId":"trickle_%d","value":%d}`, i, i%1000)
		return []byte(chunkedHead), trickleChunkBody(trickleBytes, body)
	})
}

const chunkedHead = "POST /event HTTP/1.1\r\nHost: onemrc\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"

// trickleChunkBody frames body as a chunked body (RFC 9112 §7.1) of total bytes:
// ceil(total/trickleChunkLine) data chunks, each chunk-size line carrying one extension
// ";ext=aaa..." that pads it to its share of the room, then the last chunk "0" and the
// empty trailer section. No line exceeds trickleChunkLine bytes; a body shorter than
// the chunks it would need (one byte each at the least) gives a shorter result.
func trickleChunkBody(total int, body string) []byte {
	chunks := min(len(body), max(1, (total+trickleChunkLine-1)/trickleChunkLine))
	pieces := make([]string, chunks)
	for i := range chunks {
		pieces[i] = body[i*len(body)/chunks : (i+1)*len(body)/chunks]
	}
	fixed := len("0\r\n\r\n")
	for _, p := range pieces {
		fixed += len(fmt.Sprintf("%x;ext=a\r\n", len(p))) + len(p) + len("\r\n")
	}
	pad := max(0, total-fixed)
	var b strings.Builder
	for i, p := range pieces {
		line := fmt.Sprintf("%x;ext=a\r\n", len(p))
		n := pad / chunks
		if i < pad%chunks {
			n++
		}
		n = min(n, trickleChunkLine-len(line))
		// chunk-ext-val is a token: at least the one "a" counted in line.
		fmt.Fprintf(&b, "%x;ext=a%s\r\n%s\r\n", len(p), strings.Repeat("a", n), p)
	}
	b.WriteString("0\r\n\r\n")
	return []byte(b.String())
}
