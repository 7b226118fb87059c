package httpparse

import "math/bits"

// fieldLine locates the parts of one field line
//
//	field-line = field-name ":" OWS field-value OWS CRLF        (RFC 9112 §5)
//
// in a buffer b: the name is b[nameStart:nameEnd], the value
// b[valueStart:valueEnd] (OWS trimmed), and the next line begins at next,
// after the CRLF. next == 0 means no line (a line is never empty, so a
// found one has next > 0).
type fieldLine struct {
	nameStart, nameEnd, valueStart, valueEnd, next int
}

// scanFieldLinesWords is the fast path of scanFieldSection: it takes the
// field lines at b[i:] one after another, a word at a time, for as long as
// each is complete and valid and no more than maxLines are taken, and
// returns the index stop of the first line it did not take and the number
// of lines it took. It stops early, right after a line whose name may be a
// framing field (mayBeFramingField), and returns that line as framing
// (framing.next == stop); otherwise framing.next == 0.
//
// A line it takes is one that scanFieldLine takes too, with the same parts:
// the name is letters and "-" (found a word at a time, the first other byte
// being its colon) and every word it reads lies within b. Every other line
// (the final CRLF, a name with a digit, an invalid line, a line cut off by
// the end of b or lying in its last bytes) is left at stop for the exact
// scan.
//
// It is one leaf function on purpose: Go's calling convention keeps no
// register across a call, so a call per line costs the caller's loop a
// spill and a reload of each of its values, more than the scan of most
// lines; and inlined into scanFieldSection, with its many live values, the
// word loops lost their registers to spills.
func scanFieldLinesWords(b []byte, i, maxLines int) (stop, lines, nameStart, nameEnd, valueStart, valueEnd int) {
	for ; lines < maxLines; lines++ {
		start := i
		// field-name = token (RFC 9110 §5.1), then the colon. The byte that
		// ends the name is read from the word that holds it.
		var w, other uint64
		for {
			if i+8 > len(b) {
				return start, lines, 0, 0, 0, 0
			}
			w = load64(b, i)
			if other = notLetterOrDash(w); other != 0 {
				break
			}
			i += 8
		}
		k := bits.TrailingZeros64(other) &^ 7 // bit offset of the first other byte
		i += k >> 3
		if byte(w>>k) != ':' || i == start {
			return start, lines, 0, 0, 0, 0 // a tchar such as a digit, or no name
		}
		colon := i
		// OWS field-value OWS, then CRLF. OWS bytes are value bytes, so
		// the value is scanned from the colon on and trimmed afterwards;
		// its first control byte but HTAB must be the CR of the CRLF.
		i++
		for {
			if i+8 > len(b) {
				return start, lines, 0, 0, 0, 0
			}
			w = load64(b, i)
			flags := controlOrDel(w)
			if flags == 0 {
				i += 8
				continue
			}
			k = bits.TrailingZeros64(flags) &^ 7
			i += k >> 3
			if byte(w>>k) != '\t' {
				break
			}
			i++
		}
		// byte(w>>k) is b[i], a CR if the line is valid; the LF after it is
		// in w too unless the CR is its last byte.
		if byte(w>>k) != '\r' {
			return start, lines, 0, 0, 0, 0
		}
		if k < 56 {
			if byte(w>>(k+8)) != '\n' {
				return start, lines, 0, 0, 0, 0
			}
		} else if i+1 >= len(b) || b[i+1] != '\n' {
			return start, lines, 0, 0, 0, 0
		}
		end := i
		i += 2
		if mayBeFramingField(b[start], colon-start) {
			valueStart, valueEnd = colon+1, end
			for valueStart < valueEnd && isOWS(b[valueStart]) {
				valueStart++
			}
			for valueEnd > valueStart && isOWS(b[valueEnd-1]) {
				valueEnd--
			}
			return i, lines + 1, start, colon, valueStart, valueEnd
		}
	}
	return i, lines, 0, 0, 0, 0
}

// scanFieldLine scans the field line at b[start:] byte by byte where it
// must. It returns the line, or next == 0 with a nil error when b ends
// inside it (more bytes may complete it), or the error no continuation of
// b can avoid.
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
