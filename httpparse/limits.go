package httpparse

// Limits bound every length the parser accepts. A zero (or negative) field
// takes its default.
type Limits struct {
	// MaxRequestLine bounds the request line including its CRLF (leading empty
	// lines are not counted). Exceeding it yields ErrRequestLineTooLong as
	// soon as that many bytes are buffered without a complete request line.
	// Default DefaultMaxRequestLine.
	MaxRequestLine int
	// MaxHeaderBytes bounds the header section after the request line (field
	// lines and the final CRLF), and separately the trailer section of a
	// chunked body -> ErrHeadersTooLarge. Default DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// MaxHeaders bounds the number of field lines (and, separately, trailer
	// field lines) -> ErrHeadersTooLarge. Default DefaultMaxHeaders.
	MaxHeaders int
	// MaxBody bounds the decoded body -> ErrBodyTooLarge. A Content-Length
	// above it fails as soon as the header section is complete. The raw
	// framing of a chunked body is bounded by 2*MaxBody + 16384 bytes.
	// Default DefaultMaxBody.
	MaxBody int
	// LargeBodyPath, when not empty, is the one request path whose body is bounded by
	// MaxLargeBody instead of MaxBody (a batch endpoint), decided once the header
	// section is complete. The path compares byte for byte, without the query.
	LargeBodyPath string
	// MaxLargeBody bounds the body of a request to LargeBodyPath; it applies only
	// when above MaxBody.
	MaxLargeBody int
}

// Defaults of the Limits fields: the one statement of each, which the daemon's
// flags (-max-request-line, -max-header-bytes, -max-headers, -max-body) use too.
const (
	DefaultMaxRequestLine = 8192
	DefaultMaxHeaderBytes = 8192
	DefaultMaxHeaders     = 64
	DefaultMaxBody        = 65536
)

// chunkLineMax bounds one chunk-size line (size, extensions, CRLF). RFC 9112
// §7.1.1 lets a recipient limit extensions; nothing legitimate comes close.
const chunkLineMax = 4096

// chunkedSlack is the framing allowance, on top of twice the decoded body,
// for a chunked body; it keeps an endless stream of empty-extension or tiny
// chunks from growing the connection's buffer without limit.
const chunkedSlack = 16384

// maxInt is the largest int; limits saturate at it instead of overflowing.
const maxInt = int(^uint(0) >> 1)

// withDefaults returns l with every non-positive field replaced by its default.
func (l Limits) withDefaults() Limits {
	l.setDefaults()
	return l
}

// setDefaults replaces every non-positive field of l by its default, in
// place: Parse applies it to its own copy of the caller's Limits, which
// withDefaults would copy twice more.
func (l *Limits) setDefaults() {
	if l.MaxRequestLine <= 0 {
		l.MaxRequestLine = DefaultMaxRequestLine
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = DefaultMaxHeaders
	}
	if l.MaxBody <= 0 {
		l.MaxBody = DefaultMaxBody
	}
}

// forBody returns l with MaxBody set to the bound on the body of a request to path.
func (l Limits) forBody(path []byte) Limits {
	l.MaxBody = l.maxBodyFor(path)
	return l
}

// maxBodyFor is the bound on the body of a request to path: forBody's
// MaxBody without a copy of the Limits, for the check of every header
// section.
func (l *Limits) maxBodyFor(path []byte) int {
	if l.LargeBodyPath != "" && l.MaxLargeBody > l.MaxBody && string(path) == l.LargeBodyPath {
		return l.MaxLargeBody
	}
	return l.MaxBody
}

// maxChunkCount bounds the data chunks of one body: maxChunks, or one per 64 bytes of
// a larger MaxBody, so that a client streaming a batch a line per chunk is served.
func (l *Limits) maxChunkCount() int { return max(maxChunks, l.MaxBody/64) }

// maxChunkedRaw is the bound on the raw bytes of a chunked body from the
// first chunk-size line through the last-chunk line, saturating at maxInt.
func (l *Limits) maxChunkedRaw() int {
	if l.MaxBody > (maxInt-chunkedSlack)/2 {
		return maxInt
	}
	return 2*l.MaxBody + chunkedSlack
}

// window returns the end index of the region buf[start:end] that may hold an
// element limited to max bytes, and the error to report when that region runs
// out before the element is complete: ErrNeedMore while more bytes could
// still fit, tooLarge once the region already spans the whole limit.
func window(buf []byte, start, max int, tooLarge error) (end int, short error) {
	if len(buf)-start >= max {
		return start + max, tooLarge
	}
	return len(buf), ErrNeedMore
}

// addSat returns a+b for non-negative a and b, saturating at maxInt.
func addSat(a, b int) int {
	if b > maxInt-a {
		return maxInt
	}
	return a + b
}
