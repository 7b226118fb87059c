package httpparse

import (
	"testing"
)

// resumeSeeds are inputs FuzzResume starts from beyond those of FuzzParse:
// chunked bodies with long extensions, many chunks and trailers, pipelined
// requests, and bytes that no line may hold, mid-line.
var resumeSeeds = []string{
	chunkedHead + longExtChunks(3, 60, 2),
	chunkedHead + manyChunks(12),
	chunkedHead + "3;e=\x01\r\nabc\r\n0\r\n\r\n",
	chunkedHead + "3\rx\r\nabc\r\n0\r\n\r\n",
	chunkedHead + "0\r\nX: a\x7fb\r\n\r\n",
	crlf("GET /a HTTP/1.1\nHost: a\n\nPOST /b HTTP/1.1\nHost: b\nContent-Length: 2\n\nhiGET /c HTTP/1.1\nHost: c\n\n"),
	"GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n",
	"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\nZ: 3\r\nW: 4\r\nV: 5\r\nU: 6\r\nT: 7\r\n\r\n",
}

// FuzzResume checks ParseFrom against Parse on arbitrary bytes cut into
// arbitrary reads (each byte of cuts is a read length, 0 meaning 256), then
// one byte at a time, then, for short inputs, in two pieces at every split
// point: every ParseFrom call gives exactly what Parse gives for the same
// bytes (n, error, every Request field, Need); no call Blocked skips is one
// where Parse completes a request; the requests found equal those of Parse
// over the whole stream; and a framing error, which waiting may delay until
// its line ends or crosses a limit, keeps the status Parse gives it. mode
// picks the limits as in FuzzParse.
func FuzzResume(f *testing.F) {
	cutSets := [][]byte{{}, {1}, {3, 7}, {40, 1, 1, 200}}
	add := func(b []byte) {
		for i, cuts := range cutSets {
			f.Add(b, cuts, uint8(i%len(fuzzLimits)))
		}
	}
	addSeeds(f, add)
	for _, s := range resumeSeeds {
		add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in, cuts []byte, mode uint8) {
		if len(in) > 4096 || len(in) == 0 {
			return
		}
		lim := fuzzLimits[int(mode)%len(fuzzLimits)]
		want, partial := parseStream(in, lim)
		check := feedOpts{check: true, move: true}
		readLen := func(i int) int {
			if i < len(cuts) {
				return int(cuts[i]-1) + 1 // 0 is 256
			}
			return len(in)
		}
		compareStreams(t, "fuzzed cuts", want, partial, feedResume(t, in, lim, readLen, check))
		compareStreams(t, "byte at a time", want, partial, feedResume(t, in, lim, byteAtATime, check))
		if len(in) > 256 {
			return
		}
		for k := 1; k < len(in); k++ {
			split := func(i int) int {
				if i == 0 {
					return k
				}
				return len(in)
			}
			compareStreams(t, "split", want, partial, feedResume(t, in, lim, split, check))
		}
	})
}
