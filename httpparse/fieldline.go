package httpparse

import "math/bits"

// scanFieldLinesWords is the fast path of scanFieldSection: it takes the
// field lines at b[i:] one after another, a word at a time, for as long as
// each is complete and valid and no more than maxLines are taken, and
// returns the index stop of the first line it did not take and the number
// of lines it took (kind == kindNone). With st != nil it applies the usual
// Host, Content-Type and Content-Length lines itself, as apply would, and
// stops right after any other line whose field apply may act on
// (kind != kindNone), returning that line's kind and parts for apply: the
// name is b[nameStart:nameEnd] and the value, OWS trimmed,
// b[valueStart:valueEnd].
//
// A line it takes is one that scanFieldLine takes too, with the same parts.
// The name is one of knownNames (matched with its colon by word compares) or
// a token scanned a word of letters and "-" at a time, then by the table from
// its first other tchar on; every word it reads lies within b. Every other
// line (the final CRLF, an invalid line, a line cut off by the end of b or
// lying in its last bytes) is left at stop for the exact scan.
//
// It takes a run of lines per call on purpose: Go's calling convention
// keeps no register across a call, so a call per line would cost the
// caller's loop a spill and a reload of each of its values, more than the
// scan of most lines; and written out in scanFieldSection, whose loop keeps
// many more values live, the word loops lost their registers to spills.
func scanFieldLinesWords(b []byte, i, maxLines int, req *Request, st *fieldState) (stop, lines int, kind fieldKind, nameStart, nameEnd, valueStart, valueEnd int) {
	for ; lines < maxLines; lines++ {
		start := i
		if i+8 > len(b) {
			break
		}
		// field-name = token (RFC 9110 §5.1), then the colon.
		w := load64(b, i)
		var n int
		n, kind = matchKnownName(b, i, w)
		colon := i + n
		if n == 0 {
			// Not a known name: letters and "-" a word at a time.
			for {
				if other := notLetterOrDash(w); other != 0 {
					i += bits.TrailingZeros64(other) >> 3
					break
				}
				i += 8
				if i+8 > len(b) {
					return start, lines, kindNone, 0, 0, 0, 0
				}
				w = load64(b, i)
			}
			if b[i] != ':' && isToken(b[i]) {
				i = skipClass(b, i+1, classToken) // a digit, "_" or other tchar
				if i >= len(b) {
					return start, lines, kindNone, 0, 0, 0, 0
				}
			}
			if b[i] != ':' || i == start {
				return start, lines, kindNone, 0, 0, 0, 0 // not a field name
			}
			colon, kind = i, kindNone
			if mayBeFramingField(b[start], colon-start) {
				kind = kindUnclassified
			}
		}
		// OWS field-value OWS, then CRLF. OWS bytes are value bytes, so
		// the value is scanned from the colon on and trimmed afterwards;
		// its first control byte but HTAB must be the CR of the CRLF.
		i = colon + 1
		for {
			if i+8 > len(b) {
				return start, lines, kindNone, 0, 0, 0, 0
			}
			flags := controlOrDel(load64(b, i))
			if flags == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(flags) >> 3
			if b[i] != '\t' {
				break
			}
			i++
		}
		if b[i] != '\r' || i+1 >= len(b) || b[i+1] != '\n' {
			return start, lines, kindNone, 0, 0, 0, 0
		}
		i += 2
		if kind == kindNone || st == nil {
			continue
		}
		valueStart, valueEnd = colon+1, i-2
		for valueStart < valueEnd && isOWS(b[valueStart]) {
			valueStart++
		}
		for valueEnd > valueStart && isOWS(b[valueEnd-1]) {
			valueEnd--
		}
		// The usual case of the three fields every POST carries is applied
		// here, exactly as apply would; any other case goes to apply.
		v := b[valueStart:valueEnd]
		switch kind {
		case kindContentType:
			if req.ContentType == nil {
				req.ContentType = v
			}
			continue
		case kindHost:
			if st.hosts == 0 && skipClass(v, 0, classHost) == len(v) {
				st.hosts, req.Host = 1, v
				continue
			}
		case kindContentLength:
			if !st.sawCL && !st.sawTE && len(v) > 0 && len(v) <= maxContentLengthDigits {
				n := int64(0)
				for _, c := range v {
					if c < '0' || c > '9' {
						n = -1
						break
					}
					n = n*10 + int64(c-'0')
				}
				if n >= 0 {
					st.sawCL, req.ContentLength = true, n
					continue
				}
			}
		}
		return i, lines + 1, kind, start, colon, valueStart, valueEnd
	}
	return i, lines, kindNone, 0, 0, 0, 0
}

// scanFieldLine scans the field line
//
//	field-line = field-name ":" OWS field-value OWS CRLF        (RFC 9112 §5)
//
// at b[start:] byte by byte where it must. It returns the end of the name
// (b[start:nameEnd]), the value with OWS trimmed (b[valueStart:valueEnd])
// and the start of the next line, after the CRLF; or next == 0 with a nil
// error when b ends inside the line (more bytes may complete it); or the
// error no continuation of b can avoid.
func scanFieldLine(b []byte, start int) (nameEnd, valueStart, valueEnd, next int, err error) {
	i := skipTokenBytes(b, start)
	if i >= len(b) {
		return 0, 0, 0, 0, nil
	}
	if b[i] != ':' || i == start {
		return 0, 0, 0, 0, fieldNameError(b, start, i)
	}
	nameEnd = i
	i++
	for i < len(b) && isOWS(b[i]) {
		i++
	}
	valueStart = i
	i = skipValueBytes(b, i)
	if i+1 >= len(b) || b[i] != '\r' || b[i+1] != '\n' {
		if i >= len(b) || b[i] == '\r' && i+1 == len(b) {
			return 0, 0, 0, 0, nil
		}
		return 0, 0, 0, 0, lineBreakError(b, i, ErrBadHeader) // a byte no field-value holds
	}
	valueEnd = i
	for valueEnd > valueStart && isOWS(b[valueEnd-1]) {
		valueEnd--
	}
	return nameEnd, valueStart, valueEnd, i + 2, nil
}
