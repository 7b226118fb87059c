package event

// skipValue validates the JSON value at b[i] (RFC 8259 §3) and returns the
// index after it. It walks nested arrays and objects without recursion; the
// container kinds fit one word because depth is capped at maxDepth = 64:
// bit k of inObject is set when level k+1 is an object.
func (d *Decoder) skipValue(b []byte, i int) (int, *Error) {
	var inObject uint64
	depth := 0
values:
	for {
		if i >= len(b) {
			return i, ErrMalformedJSON
		}
		switch c := b[i]; c {
		case '{', '[':
			if depth == maxDepth {
				return i, ErrTooDeep
			}
			i = skipJSONSpace(b, i+1)
			if i < len(b) && b[i] == c+2 { // "}" is "{"+2 and "]" is "["+2 in ASCII
				i++
				break
			}
			bit := uint64(1) << depth
			depth++
			if c == '[' {
				inObject &^= bit
				continue values
			}
			inObject |= bit
			var ok bool
			if i, ok = d.skipMemberName(b, i); !ok {
				return i, ErrMalformedJSON
			}
			continue values
		case '"':
			_, end, _, ok := d.readString(b, i+1, 0)
			if !ok {
				return i, ErrMalformedJSON
			}
			i = end
		case 't', 'f', 'n':
			n := jsonLiteralLen(b[i:])
			if n == 0 {
				return i, ErrMalformedJSON
			}
			i += n
		default:
			if !isNumberStart(c) {
				return i, ErrMalformedJSON
			}
			_, _, end, ok := scanNumber(b, i)
			if !ok {
				return i, ErrMalformedJSON
			}
			i = end
		}
		// A value ended at i: close containers until one continues.
		for depth > 0 {
			i = skipJSONSpace(b, i)
			if i >= len(b) {
				return i, ErrMalformedJSON
			}
			inObj := inObject>>(depth-1)&1 == 1
			switch c := b[i]; {
			case c == ',':
				i = skipJSONSpace(b, i+1)
				if inObj {
					var ok bool
					if i, ok = d.skipMemberName(b, i); !ok {
						return i, ErrMalformedJSON
					}
				}
				continue values
			case c == '}' && inObj, c == ']' && !inObj:
				depth--
				i++
			default:
				return i, ErrMalformedJSON
			}
		}
		return i, nil
	}
}

// skipMemberName validates `string ws ":" ws` at b[i] (RFC 8259 §4) and
// returns the index of the member's value.
func (d *Decoder) skipMemberName(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	_, end, _, ok := d.readString(b, i+1, 0)
	if !ok {
		return i, false
	}
	i = skipJSONSpace(b, end)
	if i >= len(b) || b[i] != ':' {
		return i, false
	}
	return skipJSONSpace(b, i+1), true
}

// jsonLiteralLen returns the length of the literal name true, false or null at
// the start of p (RFC 8259 §3; lowercase only), or 0.
func jsonLiteralLen(p []byte) int {
	switch {
	case startsWith(p, "true"), startsWith(p, "null"):
		return 4
	case startsWith(p, "false"):
		return 5
	}
	return 0
}
