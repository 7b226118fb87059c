package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// addDecodeSeeds seeds a body fuzzer with every table body; the checked-in
// corpora under testdata/fuzz/ add past crashers and hand-made cases.
func addDecodeSeeds(f *testing.F) {
	for _, tc := range validCases {
		f.Add([]byte(tc.body))
	}
	for _, tc := range invalidCases {
		f.Add([]byte(tc.body))
	}
}

// FuzzDecode: Decode never panics, names a sentinel when it rejects, and
// what it accepts keeps the Event invariants.
func FuzzDecode(f *testing.F) {
	addDecodeSeeds(f)
	var d Decoder
	f.Fuzz(func(t *testing.T, body []byte) {
		var ev Event
		err := d.Decode(body, &ev)
		var fresh Decoder
		var again Event
		require.Equal(t, err, fresh.Decode(body, &again), "a used decoder and a fresh one agree")
		if err != nil {
			var e *Error
			require.True(t, errors.As(err, &e) && isSentinel(e), "not a sentinel: %v", err)
			return
		}
		require.Equal(t, ev, again)
		require.NotEmpty(t, ev.UserID)
		require.True(t, utf8.Valid(ev.UserID))
		require.LessOrEqual(t, len(ev.UserID), maxUserIDLen)
		if ev.Value.Small {
			require.Nil(t, ev.Value.Text)
			return
		}
		require.Zero(t, ev.Value.Nanos)
		require.LessOrEqual(t, len(ev.Value.Text), MaxNumberLen)
		_, small, end, ok := scanNumber(ev.Value.Text, 0)
		require.True(t, ok && end == len(ev.Value.Text) && !small, "Text %q", ev.Value.Text)
		require.True(t, bytes.Contains(body, ev.Value.Text))
	})
}

func isSentinel(e *Error) bool {
	for _, s := range allErrors {
		if e == s {
			return true
		}
	}
	return false
}

// differentialEvent is how encoding/json sees an event, with UseNumber.
type differentialEvent struct {
	UserID *string      `json:"userId"`
	Value  *json.Number `json:"value"`
}

// FuzzDecodeDifferential compares Decode with encoding/json.
//
// What must agree: when Decode accepts, encoding/json sees valid JSON with
// the same unescaped userId and a number of exactly the same value; when
// encoding/json reports a syntax error, Decode rejects.
//
// Deliberate differences, where Decode rejects what encoding/json accepts:
//   - member names compare exactly (RFC 8259 §8.3); encoding/json folds
//     case ("userid", "USERID", even "uſerId") and keeps the last duplicate,
//     so bodies with such names are compared only on validity;
//   - invalid UTF-8 and lone surrogate escapes are malformed here; encoding/json
//     replaces them with U+FFFD;
//   - nesting beyond 64, a userId over 4096 bytes, an empty userId, a number
//     text over 512 bytes or outside float64 range, duplicates, and values of
//     the wrong type (encoding/json reports those as UnmarshalTypeError).
func FuzzDecodeDifferential(f *testing.F) {
	addDecodeSeeds(f)
	var d Decoder
	f.Fuzz(func(t *testing.T, body []byte) {
		var ev Event
		err := d.Decode(body, &ev)
		valid := json.Valid(body)
		if !valid {
			require.Error(t, err, "encoding/json finds a syntax error in %q", body)
			return
		}
		if err != nil {
			explainRejection(t, body, err)
			return
		}
		sameAsEncodingJSON(t, body, &ev)
	})
}

// explainRejection checks that Decode rejecting JSON encoding/json finds
// valid is one of the deliberate differences.
func explainRejection(t *testing.T, body []byte, err error) {
	switch err {
	case ErrMalformedJSON:
		require.True(t, !utf8.Valid(body) || hasSurrogateEscape(body),
			"rejected as malformed, but valid UTF-8 JSON without surrogate escapes: %q", body)
	case ErrTrailingData:
		t.Fatalf("encoding/json finds one value in %q", body)
	case ErrNotObject:
		first := body[skipJSONSpace(body, 0)]
		require.NotEqual(t, byte('{'), first)
	}
}

// hasSurrogateEscape reports a \uD800-\uDFFF escape anywhere in body
// (possibly a false alarm after an escaped backslash; that only weakens
// the check).
func hasSurrogateEscape(body []byte) bool {
	for rest := body; ; {
		i := bytes.Index(rest, []byte(`\u`))
		if i < 0 || i+3 > len(rest) {
			return false
		}
		if c := rest[i+2] | 0x20; c == 'd' && i+3 < len(rest) && strings.IndexByte("89abcdefABCDEF", rest[i+3]) >= 0 {
			return true
		}
		rest = rest[i+2:]
	}
}

// namesUnambiguous reports that every top-level member name of the object
// in body that encoding/json would match to userId or value spells it
// exactly (encoding/json's folding is bytes.EqualFold).
func namesUnambiguous(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		name := tok.(string)
		for _, want := range []string{nameUserID, nameValue} {
			if name != want && strings.EqualFold(name, want) {
				return false
			}
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}
	return true
}

// FuzzDecodeNumber checks scanNumber on its own: the grammar against
// encoding/json, Small against exact arithmetic, the range check against
// strconv.ParseFloat.
func FuzzDecodeNumber(f *testing.F) {
	for _, tc := range numberGolden {
		f.Add(tc.text)
	}
	for _, s := range []string{"-", "01", "1.", ".5", "1e", "+1", "1e+5", "4.9e-324", "1.8e308", overflowDigits} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		nanos, small, end, ok := scanNumber([]byte(text), 0)
		whole := ok && end == len(text)
		isJSONNumber := json.Valid([]byte(text)) && text != "" && isNumberStart(text[0]) &&
			!strings.ContainsAny(text, " \t\r\n")
		require.Equal(t, isJSONNumber, whole, "%q", text)
		if !whole || hugeExponent(text) {
			return
		}
		exact := exactRat(t, text)
		scaled := new(big.Rat).Mul(exact, big.NewRat(1e9, 1))
		fitsNanos := scaled.IsInt() && scaled.Num().IsInt64() && scaled.Num().Int64() != math.MinInt64
		require.Equal(t, fitsNanos, small, "%q", text)
		if small {
			require.Equal(t, scaled.Num().Int64(), nanos, "%q", text)
		}
		if len(text) <= MaxNumberLen {
			require.Equal(t, parseFloatInRange(text), inFloat64Range([]byte(text)), "%q", text)
		}
	})
}

// hugeExponent spots exponents big.Rat would refuse or take long over.
func hugeExponent(text string) bool {
	i := strings.IndexAny(text, "eE")
	if i < 0 {
		return false
	}
	digits := strings.TrimLeft(strings.TrimLeft(text[i+1:], "+-"), "0")
	return len(digits) > 4
}
