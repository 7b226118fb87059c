package httpparse

// maxChunkSizeDigits bounds chunk-size so that it always fits in a uint64.
const maxChunkSizeDigits = 16

// maxChunks bounds the data chunks of a body of up to 64 KiB (see
// Limits.maxChunkCount for larger ones). A one-shot caller (Parse)
// re-scans the framing of a body that is still arriving from its first chunk
// on each read, so a client trickling thousands of tiny chunks would make its
// work grow with the square of their number; ParseFrom resumes at the first
// incomplete chunk instead, but keeps the same bound so that both entry
// points accept the same bodies. Real clients send one chunk or a few.
const maxChunks = 1024

// chunkProgress is how far the decoding of a chunked body got: what the
// complete chunks before next add up to. The resumable parser keeps it
// between calls; Parse starts it afresh each time.
type chunkProgress struct {
	start   int // first byte of the first chunk-size line: the raw bound counts from here
	next    int // first byte of the first chunk (or of the last-chunk line) not yet complete
	decoded int // data bytes in the complete chunks before next
	chunks  int // complete data chunks before next
	// Bounds of the first chunk's data, which is the whole body when it is the
	// only data chunk.
	firstStart, firstEnd int
}

// newChunkProgress starts a chunked body at buf[start:].
func newChunkProgress(start int) chunkProgress { return chunkProgress{start: start, next: start} }

// parseChunkedBody parses
//
//	chunked-body = *chunk last-chunk trailer-section CRLF      (RFC 9112 §7.1)
//	chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//	last-chunk   = 1*("0") [ chunk-ext ] CRLF
//
// and returns the index after the whole body. The decoded size is bounded by
// lim.MaxBody and the raw bytes from cp.start through the last-chunk line by
// lim.maxChunkedRaw(); the trailer section (RFC 9112 §7.1.2: fields validated
// and ignored) by lim.MaxHeaderBytes and lim.MaxHeaders. req.Body is a view
// into buf when the body has at most one data chunk, else it is copied into
// req.scratch, and only once the whole body is known to be valid, so a
// partial body costs no copying.
//
// It starts where cp and sec say: in the chunks at cp.next while sec.start is
// 0, else in the trailer section that sec describes. Parse passes a fresh cp
// and a zero sec. On ErrNeedMore it writes its progress back (cp: the
// complete chunks before cp.next; sec, once in the trailers: the complete
// trailer lines), so that a later call on a longer buffer with the same
// prefix resumes there with the outcome of a scan from cp.start. Waiting for
// chunk data it sets req.Need to the exact length that completes the chunk;
// waiting for the end of a line it leaves req.Need alone.
func parseChunkedBody(buf []byte, req *Request, lim *Limits, cp *chunkProgress, sec *section) (int, error) {
	// Locals, written back to cp only when the scan stops short.
	decoded, chunks := cp.decoded, cp.chunks
	firstStart, firstEnd := cp.firstStart, cp.firstEnd
	if sec.start == 0 {
		end, short := window(buf, cp.start, lim.maxChunkedRaw(), ErrBodyTooLarge)
		b := buf[:end]
		i := cp.next
		for {
			size, dataStart, err := parseChunkSizeLine(b, i)
			if err != nil {
				if err == ErrNeedMore {
					err = short
				}
				if err == ErrNeedMore {
					*cp = chunkProgress{cp.start, i, decoded, chunks, firstStart, firstEnd}
				}
				return 0, err
			}
			if size == 0 {
				*sec = newSection(dataStart)
				break
			}
			if size > uint64(lim.MaxBody-decoded) {
				return 0, ErrBodyTooLarge
			}
			// size <= MaxBody now, so int(size) is exact; rawLeft >= 0 because
			// the size line lies inside the raw window b. Comparisons subtract
			// from the small side so that even MaxBody = maxInt cannot overflow.
			rawLeft := lim.maxChunkedRaw() - (dataStart - cp.start)
			if int(size) > rawLeft-2 {
				return 0, ErrBodyTooLarge // this chunk cannot end within the raw bound
			}
			if int(size) > len(buf)-dataStart-2 {
				req.Need = addSat(dataStart, int(size)+2) // size+2 <= rawLeft
				*cp = chunkProgress{cp.start, i, decoded, chunks, firstStart, firstEnd}
				return 0, ErrNeedMore
			}
			// Here dataStart+size+2 <= min(len(buf), start+maxChunkedRaw) = len(b).
			dataEnd := dataStart + int(size)
			if b[dataEnd] != '\r' {
				return 0, ErrBadChunk // chunk-data longer than chunk-size
			}
			if b[dataEnd+1] != '\n' {
				return 0, ErrBadLineEnding
			}
			if chunks == 0 {
				firstStart, firstEnd = dataStart, dataEnd
			}
			chunks++
			if chunks > lim.maxChunkCount() {
				return 0, ErrTooManyChunks
			}
			decoded += int(size)
			i = dataEnd + 2
		}
	}

	next, err := scanFieldSection(buf, sec, lim, req, nil)
	if err != nil {
		switch err {
		case ErrNeedMore:
			*cp = chunkProgress{cp.start, cp.next, decoded, chunks, firstStart, firstEnd}
		case ErrBadHeader, ErrObsFold:
			err = ErrBadChunk // a malformed trailer field
		}
		return 0, err
	}
	switch chunks {
	case 0:
	case 1:
		req.Body = buf[firstStart:firstEnd]
	default:
		req.Body = collectChunks(buf, cp.start, decoded, req.scratch[:0])
		req.scratch = req.Body
	}
	return next, nil
}

// chunkLineEnd is the buffer length at which the chunk-size line starting at
// cp.next can no longer be waited for: its own limit (ErrBadChunk) or the raw
// bound of the body (ErrBodyTooLarge), whichever comes first.
func (cp *chunkProgress) chunkLineEnd(lim *Limits) int {
	return min(addSat(cp.next, chunkLineMax), addSat(cp.start, lim.maxChunkedRaw()))
}

// collectChunks appends the data of the chunked body at buf[start:], already
// validated by parseChunkedBody, to dst, growing dst at most once. It walks the
// framing a second time, once per body: that keeps a partial body free of
// copies and leaves no decoded bytes to carry between calls.
func collectChunks(buf []byte, start, decoded int, dst []byte) []byte {
	if cap(dst) < decoded {
		dst = make([]byte, 0, decoded)
	}
	i := start
	for {
		size, dataStart, err := parseChunkSizeLine(buf, i)
		if err != nil || size == 0 {
			return dst
		}
		dataEnd := dataStart + int(size)
		dst = append(dst, buf[dataStart:dataEnd]...)
		i = dataEnd + 2
	}
}

// parseChunkSizeLine parses chunk-size [ chunk-ext ] CRLF at b[i:] and
// returns the size and the index after the CRLF. The line, CRLF included,
// must fit in chunkLineMax bytes.
//
//	chunk-size = 1*HEXDIG
func parseChunkSizeLine(b []byte, i int) (size uint64, next int, err error) {
	end, short := window(b, i, chunkLineMax, ErrBadChunk)
	line := b[:end]
	start := i
	for i < len(line) {
		v := hexValue[line[i]]
		if v == notHex {
			break
		}
		if i-start == maxChunkSizeDigits {
			return 0, 0, ErrBadChunk
		}
		size = size<<4 | uint64(v)
		i++
	}
	if i >= len(line) {
		return 0, 0, short
	}
	if i == start {
		return 0, 0, lineBreakError(line, i, ErrBadChunk)
	}
	if i, err = skipChunkExt(line, i, short); err != nil {
		return 0, 0, err
	}
	// line[i] == '\r'
	if i+1 >= len(line) {
		return 0, 0, short
	}
	if line[i+1] != '\n' {
		return 0, 0, ErrBadLineEnding
	}
	return size, i + 2, nil
}

// skipChunkExt validates and skips
//
//	chunk-ext     = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//	chunk-ext-name = token
//	chunk-ext-val  = token / quoted-string                      (RFC 9112 §7.1.1)
//
// at line[i:] and returns the index of the CR that ends the chunk line.
// Extensions are ignored (no extension is defined that onemrc uses).
func skipChunkExt(line []byte, i int, short error) (int, error) {
	for {
		ws := i
		for i < len(line) && isOWS(line[i]) {
			i++
		}
		if i >= len(line) {
			return 0, short
		}
		switch line[i] {
		case ';':
		case '\r':
			if i > ws {
				return 0, ErrBadChunk // BWS is allowed only before ";"
			}
			return i, nil
		default:
			return 0, lineBreakError(line, i, ErrBadChunk)
		}
		i++
		for i < len(line) && isOWS(line[i]) {
			i++
		}
		nameStart := i
		for i < len(line) && isToken(line[i]) {
			i++
		}
		if i >= len(line) {
			return 0, short
		}
		if i == nameStart {
			return 0, lineBreakError(line, i, ErrBadChunk)
		}
		j := i
		for j < len(line) && isOWS(line[j]) {
			j++
		}
		if j >= len(line) {
			return 0, short
		}
		if line[j] != '=' {
			continue // the loop head skips the BWS again and expects ";" or CR
		}
		i = j + 1
		for i < len(line) && isOWS(line[i]) {
			i++
		}
		if i >= len(line) {
			return 0, short
		}
		var err error
		if line[i] == '"' {
			i, err = skipQuotedString(line, i, short)
		} else {
			valueStart := i
			for i < len(line) && isToken(line[i]) {
				i++
			}
			if i == valueStart {
				err = lineBreakError(line, i, ErrBadChunk)
			}
		}
		if err != nil {
			return 0, err
		}
	}
}

// skipQuotedString skips
//
//	quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
//	quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text )       (RFC 9110 §5.6.4)
//
// starting at the opening DQUOTE line[i] and returns the index after the
// closing one.
func skipQuotedString(line []byte, i int, short error) (int, error) {
	i++
	for i < len(line) {
		c := line[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			i++
			if i >= len(line) {
				return 0, short
			}
			if !isValue(line[i]) {
				return 0, lineBreakError(line, i, ErrBadChunk)
			}
		case charClass[c]&classQdtext == 0:
			return 0, lineBreakError(line, i, ErrBadChunk)
		}
		i++
	}
	return 0, short
}
