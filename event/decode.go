package event

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// Decoder decodes POST /event bodies. The zero value is ready; reuse one per
// event loop (it is not safe for concurrent use). Its only state is the
// scratch that receives a userId containing escapes (and a member name with
// escapes while it is compared), allocated at its final size on the first
// string with an escape.
type Decoder struct {
	scratch []byte
}

// scratchSize holds the longest userId kept plus one member name being
// compared after it (names are kept up to len("userId") bytes), so the
// scratch never grows after its first allocation.
const scratchSize = maxUserIDLen + 16

// The members the decoder acts on. RFC 8259 §8.3: names compare code unit
// by code unit after unescaping, so "userid" and "UserId" are other members.
const (
	nameUserID = "userId"
	nameValue  = "value"
)

// member says which member a name is; the values double as "seen" bits.
type member uint8

const (
	otherMember  member = 0
	userIDMember member = 1
	valueMember  member = 2
)

// Decode parses body as one RFC 8259 JSON object with a string member "userId" and a number
// member "value". It allocates nothing in steady state.
//
// Other members are ignored but must be valid JSON nested at most 64 deep.
// Only whitespace (RFC 8259 §2: SP, HTAB, LF, CR) may surround the object.
// On success ev holds views described on Event; on failure it is untouched
// and the error is one of the *Error sentinels in errors.go.
func (d *Decoder) Decode(body []byte, ev *Event) error {
	d.scratch = d.scratch[:0]
	i := skipJSONSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return d.rejectNonObject(body, i)
	}
	i = skipJSONSpace(body, i+1)

	var (
		userID    []byte
		value     Value
		seen      member // members read so far
		memberErr *Error // first member problem; reported only if the JSON is valid
	)
	if i < len(body) && body[i] == '}' {
		i++
	} else {
		for {
			if i >= len(body) || body[i] != '"' {
				return ErrMalformedJSON
			}
			i++
			// The name as written is checked first: clients spell both names
			// without escapes, and then the bytes are the unescaped name.
			var name member
			switch {
			case startsWith(body[i:], `userId"`):
				name, i = userIDMember, i+len(`userId"`)
			case startsWith(body[i:], `value"`):
				name, i = valueMember, i+len(`value"`)
			default:
				var ok bool
				if name, i, ok = d.readMemberName(body, i); !ok {
					return ErrMalformedJSON
				}
			}
			i = skipJSONSpace(body, i)
			if i >= len(body) || body[i] != ':' {
				return ErrMalformedJSON
			}
			i = skipJSONSpace(body, i+1)
			if i >= len(body) {
				return ErrMalformedJSON
			}

			var problem *Error
			switch {
			case name == userIDMember && body[i] == '"' && seen&userIDMember == 0:
				s, end, over, ok := d.readString(body, i+1, maxUserIDLen)
				if !ok {
					return ErrMalformedJSON
				}
				i = end
				switch {
				case over:
					problem = ErrUserIDTooLong
				case len(s) == 0:
					problem = ErrEmptyUserID
				}
				userID = s
			case name == valueMember && isNumberStart(body[i]) && seen&valueMember == 0:
				start := i
				nanos, small, end, ok := scanNumber(body, i)
				if !ok {
					return ErrMalformedJSON
				}
				i = end
				if small && end-start <= MaxNumberLen {
					value = Value{Nanos: nanos, Small: true}
				} else {
					value, problem = bigValue(body[start:end])
				}
			default:
				// An ignored member, or a userId/value that is already a
				// failure: validate it as JSON and remember why it is wrong.
				end, err := d.skipValue(body, i)
				if err != nil {
					return err
				}
				i = end
				switch {
				case seen&name != 0:
					problem = ErrDuplicateMember
				case name == userIDMember:
					problem = ErrUserIDNotString
				case name == valueMember:
					problem = ErrValueNotNumber
				}
			}
			seen |= name
			if memberErr == nil {
				memberErr = problem
			}

			i = skipJSONSpace(body, i)
			if i >= len(body) {
				return ErrMalformedJSON
			}
			if body[i] == '}' {
				i++
				break
			}
			if body[i] != ',' {
				return ErrMalformedJSON
			}
			i = skipJSONSpace(body, i+1)
		}
	}

	if skipJSONSpace(body, i) != len(body) {
		return ErrTrailingData
	}
	switch {
	case memberErr != nil:
		return memberErr
	case seen&userIDMember == 0:
		return ErrMissingUserID
	case seen&valueMember == 0:
		return ErrMissingValue
	}
	ev.UserID, ev.Value = userID, value
	return nil
}

// readMemberName reads the member name whose opening quote is at b[i-1],
// spelled with escapes or unknown, and returns which member it names and
// the index after its closing quote.
func (d *Decoder) readMemberName(b []byte, i int) (name member, end int, ok bool) {
	mark := len(d.scratch)
	s, end, over, ok := d.readString(b, i, len(nameUserID))
	d.scratch = d.scratch[:mark] // only a name being compared used it
	switch {
	case !ok || over:
	case string(s) == nameUserID:
		name = userIDMember
	case string(s) == nameValue:
		name = valueMember
	}
	return name, end, ok
}

// rejectNonObject classifies a body whose first non-space byte, at body[i],
// is not '{': malformed unless it is exactly one valid JSON value.
func (d *Decoder) rejectNonObject(body []byte, i int) error {
	if i >= len(body) {
		return ErrMalformedJSON
	}
	end, err := d.skipValue(body, i)
	if err != nil {
		return err
	}
	if skipJSONSpace(body, end) != len(body) {
		return ErrTrailingData
	}
	return ErrNotObject
}

// jsonSpaceBits has bit c set for each RFC 8259 §2 whitespace byte c:
// ws = *( %x20 / %x09 / %x0A / %x0D ).
const jsonSpaceBits = 1<<' ' | 1<<'\t' | 1<<'\n' | 1<<'\r'

// isJSONSpace tests c against jsonSpaceBits; any byte above ' ' (nearly
// every byte where whitespace may appear) fails the first comparison.
func isJSONSpace(c byte) bool {
	return c <= ' ' && jsonSpaceBits>>c&1 != 0
}

// skipJSONSpace returns the index of the first non-whitespace byte at or after i.
func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	return i
}

// startsWith compares without allocating: the conversion only views b.
func startsWith(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// isNumberStart reports a byte that can begin a number (RFC 8259 §6).
func isNumberStart(c byte) bool { return c == '-' || c-'0' <= 9 }

// plainStringByte marks the bytes a string holds as themselves with no
// further look (RFC 8259 §7): printable ASCII except '"' and '\\'. Control
// bytes (< 0x20) are invalid raw; bytes >= 0x80 start UTF-8 sequences that
// must be valid (RFC 8259 §8.1).
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Word-at-a-time byte tests (SWAR): for a little-endian word, a mask whose
// lowest set bit lies in the first byte that matches. Borrows run only
// upward from a matching byte, so higher bits may be false alarms but the
// lowest one never is.
const (
	eachByte = 0x0101010101010101
	highBits = 0x8080808080808080
)

// specialByteMask flags the bytes of x that are not plainStringByte.
func specialByteMask(x uint64) uint64 {
	control := (x - eachByte*0x20) &^ x
	quote := x ^ (eachByte * '"')
	backslash := x ^ (eachByte * '\\')
	quote = (quote - eachByte) &^ quote
	backslash = (backslash - eachByte) &^ backslash
	return (control | quote | backslash | x) & highBits
}

// plainRunEnd returns the index of the first byte at or after i that is not
// plainStringByte, or len(b). A 1,100-byte id is read 8 bytes a step.
func plainRunEnd(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if m := specialByteMask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(b) && plainStringByte[b[i]] {
		i++
	}
	return i
}

// readString reads the string whose opening quote is at b[i-1] and returns
// the index after its closing quote; ok is false if it is not a valid
// RFC 8259 §7 string. s is the unescaped content: a view of b when the
// string has no escapes, else appended to d.scratch, which keeps at most
// limit bytes of it; over reports that the content is longer than limit
// (then s is a prefix when escaped). Only the escaped path touches scratch.
func (d *Decoder) readString(b []byte, i, limit int) (s []byte, end int, over, ok bool) {
	start := i
	for {
		i = plainRunEnd(b, i)
		if i >= len(b) {
			return nil, i, false, false // unterminated
		}
		switch c := b[i]; {
		case c == '"':
			s = b[start:i]
			return s, i + 1, len(s) > limit, true
		case c == '\\':
			return d.unescapeString(b, start, i, limit)
		case c < 0x20:
			return nil, i, false, false
		}
		n := validRuneLen(b[i:])
		if n == 0 {
			return nil, i, false, false
		}
		i += n
	}
}

// validRuneLen returns the length of the valid UTF-8 sequence at the start
// of p, or 0 if it is not one (overlong, surrogate, truncated, > U+10FFFF).
func validRuneLen(p []byte) int {
	r, n := utf8.DecodeRune(p)
	if r == utf8.RuneError && n == 1 {
		return 0
	}
	return n
}

// unescapeString continues readString from the first backslash at b[i],
// copying b[start:i] and then the unescaped rest into d.scratch.
func (d *Decoder) unescapeString(b []byte, start, i, limit int) (s []byte, end int, over, ok bool) {
	if d.scratch == nil {
		d.scratch = make([]byte, 0, scratchSize)
	}
	base := len(d.scratch)
	keep := func(n int) bool { // reserve n more bytes of s, or mark over
		if !over && len(d.scratch)-base+n > limit {
			over = true
		}
		return !over
	}
	if keep(i - start) {
		d.scratch = append(d.scratch, b[start:i]...)
	}
	for {
		if run := plainRunEnd(b, i); run > i {
			if keep(run - i) {
				d.scratch = append(d.scratch, b[i:run]...)
			}
			i = run
		}
		if i >= len(b) {
			return nil, i, false, false // unterminated
		}
		switch c := b[i]; {
		case c == '"':
			end := len(d.scratch)
			return d.scratch[base:end:end], i + 1, over, true // appending to s cannot touch scratch
		case c == '\\':
			r, next, valid := readEscape(b, i)
			if !valid {
				return nil, i, false, false
			}
			if keep(utf8.RuneLen(r)) {
				d.scratch = utf8.AppendRune(d.scratch, r)
			}
			i = next
			continue
		case c < 0x20:
			return nil, i, false, false
		}
		n := validRuneLen(b[i:])
		if n == 0 {
			return nil, i, false, false
		}
		if keep(n) {
			d.scratch = append(d.scratch, b[i:i+n]...)
		}
		i += n
	}
}

// readEscape decodes the escape at b[i] == '\\' (RFC 8259 §7):
//
//	escape = %x22 / %x5C / %x2F / %x62 / %x66 / %x6E / %x72 / %x74 / %x75 4HEXDIG
//
// A \u escape of a UTF-16 high surrogate must be followed by one of a low
// surrogate and the pair decodes to one rune; any other surrogate is
// rejected, since it cannot be UTF-8 (RFC 8259 §8.2 leaves it to us).
func readEscape(b []byte, i int) (r rune, next int, ok bool) {
	if i+1 >= len(b) {
		return 0, i, false
	}
	switch b[i+1] {
	case '"', '\\', '/':
		return rune(b[i+1]), i + 2, true
	case 'b':
		return '\b', i + 2, true
	case 'f':
		return '\f', i + 2, true
	case 'n':
		return '\n', i + 2, true
	case 'r':
		return '\r', i + 2, true
	case 't':
		return '\t', i + 2, true
	case 'u':
	default:
		return 0, i, false
	}
	r, ok = parseHex4(b, i+2)
	if !ok {
		return 0, i, false
	}
	if !utf16.IsSurrogate(r) {
		return r, i + 6, true
	}
	if r >= 0xDC00 || i+7 >= len(b) || b[i+6] != '\\' || b[i+7] != 'u' {
		return 0, i, false
	}
	low, ok := parseHex4(b, i+8)
	if !ok || low < 0xDC00 || low > 0xDFFF {
		return 0, i, false
	}
	return utf16.DecodeRune(r, low), i + 12, true
}

// parseHex4 decodes the four hex digits at b[i:].
func parseHex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

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
