package event

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
	var got Event
	end, problem, err := d.object(body, i, &got)
	switch {
	case err != nil:
		return err
	case skipJSONSpace(body, end) != len(body):
		return ErrTrailingData
	case problem != nil:
		return problem
	}
	*ev = got
	return nil
}

// object decodes the object whose '{' is at body[i] and returns the index after its
// '}'. err is a JSON syntax error (ErrMalformedJSON, ErrTooDeep); problem, reported
// only for syntactically valid objects, is the first member problem or a missing
// member. ev is set only when both are nil. Bytes after the object are not looked at.
func (d *Decoder) object(body []byte, i int, ev *Event) (end int, problem, err *Error) {
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
				return 0, nil, ErrMalformedJSON
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
					return 0, nil, ErrMalformedJSON
				}
			}
			i = skipJSONSpace(body, i)
			if i >= len(body) || body[i] != ':' {
				return 0, nil, ErrMalformedJSON
			}
			i = skipJSONSpace(body, i+1)
			if i >= len(body) {
				return 0, nil, ErrMalformedJSON
			}

			var problem *Error
			switch {
			case name == userIDMember && body[i] == '"' && seen&userIDMember == 0:
				s, end, over, ok := d.readString(body, i+1, maxUserIDLen)
				if !ok {
					return 0, nil, ErrMalformedJSON
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
					return 0, nil, ErrMalformedJSON
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
					return 0, nil, err
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
				return 0, nil, ErrMalformedJSON
			}
			if body[i] == '}' {
				i++
				break
			}
			if body[i] != ',' {
				return 0, nil, ErrMalformedJSON
			}
			i = skipJSONSpace(body, i+1)
		}
	}

	switch {
	case memberErr != nil:
		return i, memberErr, nil
	case seen&userIDMember == 0:
		return i, ErrMissingUserID, nil
	case seen&valueMember == 0:
		return i, ErrMissingValue, nil
	}
	ev.UserID, ev.Value = userID, value
	return i, nil, nil
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
