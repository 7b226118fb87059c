package main

import (
	"fmt"
	"strings"
)

// trickleHeaderLine is the most bytes of one trickled header field line (CRLF
// included): fields stay short of every server's line limit, and 8 KiB is 8 of them,
// well under onemrcd's -max-headers 64.
const trickleHeaderLine = 1024

func trickleHeaderScenario() scenario {
	return trickleScenario(scenario{
		Name: "trickle-header",
		About: fmt.Sprintf("%d connections each send a %d-byte GET /health request header one byte every %v, then ask GET /health once more on the same connection; CPU time of the server per trickled connection",
			trickleConns, trickleBytes, trickleEvery),
		// An 8 KiB header at one byte per ms takes 8-9 s: over the default header limit
		// (8 KiB) and close to the default header timeout (10 s).
		DaemonArgs: []string{"-max-header-bytes", "16384", "-header-timeout", "30s"},
	}, func(i int) (head, slow []byte) {
		return nil, trickleHeaderRequest(trickleBytes, i)
	})
}

// trickleHeaderRequest is a GET /health of exactly total bytes (at least
// minTrickleBytes), the blank line included: after the request line, Host and X-Client,
// the header section is filled with X-Trickle-N fields of at most trickleHeaderLine
// bytes each, the room shared evenly between them.
func trickleHeaderRequest(total, client int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "GET /health HTTP/1.1\r\nHost: onemrc\r\nX-Client: %d\r\n", client)
	room := total - b.Len() - len("\r\n")
	fields := (room + trickleHeaderLine - 1) / trickleHeaderLine
	for n := range fields {
		line := room / fields
		if n < room%fields {
			line++
		}
		name := fmt.Sprintf("X-Trickle-%d: ", n)
		b.WriteString(name)
		b.WriteString(strings.Repeat("a", line-len(name)-len("\r\n")))
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// The bounds of -trickle-bytes. The least leaves room for the fixed fields and one
// X-Trickle field; the most keeps the header under the -max-header-bytes 16384 the
// scenario gives onemrcd (and 16 X-Trickle fields under its -max-headers 64).
const (
	minTrickleBytes = 256
	maxTrickleBytes = 16000
)
