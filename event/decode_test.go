package event

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validCase is a body Decode accepts and what it must yield. text is the
// expected Value.Text when the number is not Small.
type validCase struct {
	name   string
	body   string
	userID string
	nanos  int64
	text   string
}

const nano = 1_000_000_000

var validCases = []validCase{
	// What the real clients send (see httpparse/testdata/requests).
	{"curl", `{"userId":"user_12345","value":345}`, "user_12345", 345 * nano, ""},
	{"python spaced", `{"userId": "user_12345", "value": 345}`, "user_12345", 345 * nano, ""},
	{"half", `{"userId":"user_1","value":123.5}`, "user_1", 123_500_000_000, ""},
	{"members swapped", `{"value":7,"userId":"u"}`, "u", 7 * nano, ""},
	{"all whitespace kinds", " \t\r\n{ \t\r\n\"userId\" \t\r\n: \t\r\n\"u\" \t\r\n, \"value\"\n:\n1\n}\r\n \t",
		"u", nano, ""},

	// Unknown members of every JSON type are skipped.
	{"unknown string", `{"a":"x\"y","userId":"u","value":1}`, "u", nano, ""},
	{"unknown numbers", `{"a":-0.5e-7,"b":1E400,"c":0,"userId":"u","value":1}`, "u", nano, ""},
	{"unknown literals", `{"t":true,"f":false,"n":null,"userId":"u","value":1}`, "u", nano, ""},
	{"unknown empty containers", `{"o":{},"a":[],"o2":{ },"a2":[ ],"userId":"u","value":1}`, "u", nano, ""},
	{"unknown nested", `{"o":{"k":[1,{"x":[true,null,"s"]},[]],"q":{}},"userId":"u","value":1}`, "u", nano, ""},
	{"unknown nested 64", `{"d":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `,"userId":"u","value":1}`,
		"u", nano, ""},
	{"unknown after", `{"userId":"u","value":1,"z":[1,2,3]}`, "u", nano, ""},
	{"names compare exactly", `{"userid":5,"UserId":[],"VALUE":"x","Value":null,"userId":"u","value":1}`,
		"u", nano, ""},
	{"unknown escaped names", `{"\u0075":1,"user\u0049d\u0020":2,"userId":"u","value":1}`, "u", nano, ""},
	{"unknown long escaped name", `{"userIdentifier\n":1,"userId":"u","value":1}`, "u", nano, ""},
	{"unknown with every escape", `{"a":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","userId":"u","value":1}`,
		"u", nano, ""},

	// Escapes in names and in the user id.
	{"escaped member names", `{"user\u0049d":"u","\u0076alue":1}`, "u", nano, ""},
	{"escaped é", `{"userId":"user\u00e9","value":1}`, "useré", nano, ""},
	{"raw é", `{"userId":"useré","value":1}`, "useré", nano, ""},
	{"all escapes", `{"userId":"\"\\\/\b\f\n\r\t","value":1}`, "\"\\/\b\f\n\r\t", nano, ""},
	{"escape upper hex", `{"userId":"\u00C9\u00e9","value":1}`, "Éé", nano, ""},
	{"surrogate pair", `{"userId":"a\ud83d\ude00b","value":1}`, "a😀b", nano, ""},
	{"raw 4-byte utf8", `{"userId":"a😀b","value":1}`, "a😀b", nano, ""},
	{"escaped nul", `{"userId":"\u0000","value":1}`, "\x00", nano, ""},
	{"escape then raw utf8", `{"userId":"\t日本","value":1}`, "\t日本", nano, ""},
	{"escaped U+FFFF", `{"userId":"\uffff","value":1}`, "\uffff", nano, ""},
	{"raw U+FFFD", "{\"userId\":\"\xef\xbf\xbd\",\"value\":1}", "\ufffd", nano, ""},
	{"userId 4096", `{"userId":"` + strings.Repeat("a", 4096) + `","value":1}`, strings.Repeat("a", 4096), nano, ""},
	{"escaped userId 4096", `{"userId":"` + strings.Repeat("a", 4095) + `\u0062","value":1}`,
		strings.Repeat("a", 4095) + "b", nano, ""},
	{"escaped userId 4096 two-byte", `{"userId":"` + strings.Repeat("a", 4094) + `\u00e9","value":1}`,
		strings.Repeat("a", 4094) + "é", nano, ""},

	// Number spellings with Small results.
	{"zero", `{"userId":"u","value":0}`, "u", 0, ""},
	{"minus zero", `{"userId":"u","value":-0}`, "u", 0, ""},
	{"zero exponent", `{"userId":"u","value":0e5}`, "u", 0, ""},
	{"zero huge exponent", `{"userId":"u","value":-0.000E-99999999999999999999}`, "u", 0, ""},
	{"negative", `{"userId":"u","value":-12.25}`, "u", -12_250_000_000, ""},
	{"exponent", `{"userId":"u","value":1.5e2}`, "u", 150 * nano, ""},
	{"upper exponent", `{"userId":"u","value":15E1}`, "u", 150 * nano, ""},
	{"plus exponent", `{"userId":"u","value":15e+1}`, "u", 150 * nano, ""},
	{"negative exponent", `{"userId":"u","value":1500e-1}`, "u", 150 * nano, ""},
	{"one nano", `{"userId":"u","value":-0.000000001}`, "u", -1, ""},
	{"trailing zeros", `{"userId":"u","value":1.50000000000}`, "u", 1_500_000_000, ""},

	// Exact numbers that need the slow path.
	{"sub-nano", `{"userId":"u","value":1500e-12}`, "u", 0, "1500e-12"},
	{"ten decimals", `{"userId":"u","value":0.0000000001}`, "u", 0, "0.0000000001"},
	{"huge", `{"userId":"u","value":1e300}`, "u", 0, "1e300"},
	{"tiny", `{"userId":"u","value":-4.9e-324}`, "u", 0, "-4.9e-324"},
	{"above MaxInt64 nanos", `{"userId":"u","value":9223372036.854775808}`, "u", 0, "9223372036.854775808"},
	{"max float64", `{"userId":"u","value":1.7976931348623157e308}`, "u", 0, "1.7976931348623157e308"},
	{"many digits", `{"userId":"u","value":12345678901234567890123}`, "u", 0, "12345678901234567890123"},
	{"number of 512 bytes", `{"userId":"u","value":1.` + strings.Repeat("0", 509) + `1}`,
		"u", 0, "1." + strings.Repeat("0", 509) + "1"},
}

// invalidCase is a body Decode rejects and the sentinel it must name.
type invalidCase struct {
	name string
	body string
	err  *Error
}

var invalidCases = []invalidCase{
	{"empty body", ``, ErrMalformedJSON},
	{"only space", " \r\n", ErrMalformedJSON},
	{"unterminated object", `{"userId":"u","value":1`, ErrMalformedJSON},
	{"unterminated string", `{"userId":"u`, ErrMalformedJSON},
	{"missing colon", `{"userId" "u","value":1}`, ErrMalformedJSON},
	{"missing comma", `{"userId":"u" "value":1}`, ErrMalformedJSON},
	{"trailing comma", `{"userId":"u","value":1,}`, ErrMalformedJSON},
	{"leading comma", `{,"userId":"u","value":1}`, ErrMalformedJSON},
	{"unquoted name", `{userId:"u","value":1}`, ErrMalformedJSON},
	{"single quotes", `{'userId':'u','value':1}`, ErrMalformedJSON},
	{"raw control char", "{\"userId\":\"a\tb\",\"value\":1}", ErrMalformedJSON},
	{"raw newline in unknown", "{\"a\":\"\n\",\"userId\":\"u\",\"value\":1}", ErrMalformedJSON},
	{"bad escape", `{"userId":"\x41","value":1}`, ErrMalformedJSON},
	{"short unicode escape", `{"userId":"\u00e","value":1}`, ErrMalformedJSON},
	{"non-hex unicode escape", `{"userId":"\u00g9","value":1}`, ErrMalformedJSON},
	{"escape at end", `{"userId":"\`, ErrMalformedJSON},
	{"lone high surrogate", `{"userId":"\ud83d","value":1}`, ErrMalformedJSON},
	{"lone low surrogate", `{"userId":"\ude00","value":1}`, ErrMalformedJSON},
	{"high then high", `{"userId":"\ud83d\ud83d","value":1}`, ErrMalformedJSON},
	{"high then letter", `{"userId":"\ud83dx","value":1}`, ErrMalformedJSON},
	{"lone surrogate in name", `{"\udc00":1,"userId":"u","value":1}`, ErrMalformedJSON},
	{"invalid utf8", "{\"userId\":\"\xff\",\"value\":1}", ErrMalformedJSON},
	{"truncated utf8", "{\"userId\":\"\xc3\",\"value\":1}", ErrMalformedJSON},
	{"utf8 surrogate", "{\"userId\":\"\xed\xa0\x80\",\"value\":1}", ErrMalformedJSON},
	{"overlong utf8", "{\"userId\":\"\xc0\xaf\",\"value\":1}", ErrMalformedJSON},
	{"invalid utf8 after escape", "{\"userId\":\"\\n\xff\",\"value\":1}", ErrMalformedJSON},
	{"invalid utf8 in unknown", "{\"a\":\"\xfe\",\"userId\":\"u\",\"value\":1}", ErrMalformedJSON},
	{"invalid utf8 in name", "{\"\x80\":1,\"userId\":\"u\",\"value\":1}", ErrMalformedJSON},
	{"NaN", `{"userId":"u","value":NaN}`, ErrMalformedJSON},
	{"Infinity", `{"userId":"u","value":Infinity}`, ErrMalformedJSON},
	{"minus Infinity", `{"userId":"u","value":-Infinity}`, ErrMalformedJSON},
	{"plus sign", `{"userId":"u","value":+5}`, ErrMalformedJSON},
	{"leading dot", `{"userId":"u","value":.5}`, ErrMalformedJSON},
	{"trailing dot", `{"userId":"u","value":5.}`, ErrMalformedJSON},
	{"leading zero", `{"userId":"u","value":01}`, ErrMalformedJSON},
	{"minus leading zero", `{"userId":"u","value":-01}`, ErrMalformedJSON},
	{"hex", `{"userId":"u","value":0x10}`, ErrMalformedJSON},
	{"lone minus", `{"userId":"u","value":-}`, ErrMalformedJSON},
	{"empty exponent", `{"userId":"u","value":1e}`, ErrMalformedJSON},
	{"signed empty exponent", `{"userId":"u","value":1e+}`, ErrMalformedJSON},
	{"dot exponent", `{"userId":"u","value":1.e5}`, ErrMalformedJSON},
	{"bad number in unknown", `{"a":01,"userId":"u","value":1}`, ErrMalformedJSON},
	{"capital True", `{"a":True,"userId":"u","value":1}`, ErrMalformedJSON},
	{"short literal", `{"a":nul,"userId":"u","value":1}`, ErrMalformedJSON},
	{"literal then junk", `{"a":truex,"userId":"u","value":1}`, ErrMalformedJSON},
	{"unclosed array", `{"a":[1,2,"userId":"u","value":1}`, ErrMalformedJSON},
	{"array trailing comma", `{"a":[1,],"userId":"u","value":1}`, ErrMalformedJSON},
	{"mismatched brackets", `{"a":[1},"userId":"u","value":1}`, ErrMalformedJSON},
	{"object without value", `{"a":{"k"},"userId":"u","value":1}`, ErrMalformedJSON},
	{"object non-string key", `{"a":{1:2},"userId":"u","value":1}`, ErrMalformedJSON},
	{"form feed is not space", "{\f\"userId\":\"u\",\"value\":1}", ErrMalformedJSON},
	{"nbsp is not space", "{\u00a0\"userId\":\"u\",\"value\":1}", ErrMalformedJSON},
	{"syntax beats member error", `{"userId":5,"value":1,}`, ErrMalformedJSON},
	{"syntax beats duplicate", `{"value":1,"value":2,"userId":"u"`, ErrMalformedJSON},
	{"bare word", `hello`, ErrMalformedJSON},

	{"array", `[{"userId":"u","value":1}]`, ErrNotObject},
	{"string", ` "userId" `, ErrNotObject},
	{"number", `345`, ErrNotObject},
	{"null", `null`, ErrNotObject},

	{"trailing object", `{"userId":"u","value":1}{}`, ErrTrailingData},
	{"trailing junk", `{"userId":"u","value":1} x`, ErrTrailingData},
	{"trailing nul", "{\"userId\":\"u\",\"value\":1}\x00", ErrTrailingData},
	{"trailing after array", `[] []`, ErrTrailingData},
	{"trailing beats member error", `{"userId":5} x`, ErrTrailingData},

	{"too deep", `{"d":` + strings.Repeat("[", 65) + strings.Repeat("]", 65) + `,"userId":"u","value":1}`, ErrTooDeep},
	{"too deep objects", `{"d":` + strings.Repeat(`{"a":`, 65) + `1` + strings.Repeat("}", 65) + `}`, ErrTooDeep},
	{"too deep top level", strings.Repeat("[", 65) + strings.Repeat("]", 65), ErrTooDeep},
	{"too deep in userId", `{"userId":` + strings.Repeat("[", 65), ErrTooDeep},

	{"empty object", `{}`, ErrMissingUserID},
	{"no userId", `{"value":1}`, ErrMissingUserID},
	{"case-folded userId", `{"userid":"u","value":1}`, ErrMissingUserID},
	{"userId nested", `{"o":{"userId":"u"},"value":1}`, ErrMissingUserID},

	{"userId number", `{"userId":12345,"value":1}`, ErrUserIDNotString},
	{"userId null", `{"userId":null,"value":1}`, ErrUserIDNotString},
	{"userId array", `{"userId":["u"],"value":1}`, ErrUserIDNotString},
	{"userId object", `{"userId":{},"value":1}`, ErrUserIDNotString},
	{"userId bool", `{"userId":true,"value":1}`, ErrUserIDNotString},

	{"userId empty", `{"userId":"","value":1}`, ErrEmptyUserID},

	{"userId 4097", `{"userId":"` + strings.Repeat("a", 4097) + `","value":1}`, ErrUserIDTooLong},
	{"escaped userId 4097", `{"userId":"` + strings.Repeat("a", 4096) + `\n","value":1}`, ErrUserIDTooLong},
	{"escaped userId 4097 two-byte", `{"userId":"` + strings.Repeat("a", 4095) + `\u00e9","value":1}`, ErrUserIDTooLong},
	{"escaped userId long", `{"userId":"\n` + strings.Repeat("a", 10000) + `","value":1}`, ErrUserIDTooLong},

	{"no value", `{"userId":"u"}`, ErrMissingValue},
	{"case-folded value", `{"userId":"u","Value":1}`, ErrMissingValue},

	{"value string", `{"userId":"u","value":"345"}`, ErrValueNotNumber},
	{"value null", `{"userId":"u","value":null}`, ErrValueNotNumber},
	{"value bool", `{"userId":"u","value":false}`, ErrValueNotNumber},
	{"value array", `{"userId":"u","value":[1]}`, ErrValueNotNumber},
	{"value object", `{"userId":"u","value":{"n":1}}`, ErrValueNotNumber},

	{"overflow", `{"userId":"u","value":1e309}`, ErrValueOutOfRange},
	{"negative overflow", `{"userId":"u","value":-1.8e308}`, ErrValueOutOfRange},
	{"underflow", `{"userId":"u","value":1e-400}`, ErrValueOutOfRange},
	{"underflow half denormal", `{"userId":"u","value":2.4703282292062327e-324}`, ErrValueOutOfRange},
	{"huge exponent", `{"userId":"u","value":1e99999999999999999999}`, ErrValueOutOfRange},
	{"number of 513 bytes", `{"userId":"u","value":1.` + strings.Repeat("0", 511) + `}`, ErrValueOutOfRange},

	{"duplicate userId", `{"userId":"u","userId":"u","value":1}`, ErrDuplicateMember},
	{"duplicate value", `{"userId":"u","value":1,"value":1}`, ErrDuplicateMember},
	{"duplicate escaped", `{"userId":"u","value":1,"\u0076alue":2}`, ErrDuplicateMember},
	{"duplicate after bad userId", `{"userId":1,"userId":"u","value":1}`, ErrUserIDNotString},
	{"first member error wins", `{"value":"x","userId":""}`, ErrValueNotNumber},
}

func TestDecodeValid(t *testing.T) {
	var d Decoder
	for _, tc := range validCases {
		t.Run(tc.name, func(t *testing.T) {
			var ev Event
			require.NoError(t, d.Decode([]byte(tc.body), &ev))
			assert.Equal(t, tc.userID, string(ev.UserID))
			assert.True(t, utf8.Valid(ev.UserID))
			if tc.text == "" {
				assert.Equal(t, Value{Nanos: tc.nanos, Small: true}, ev.Value)
			} else {
				assert.Equal(t, Value{Text: []byte(tc.text)}, ev.Value)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	var d Decoder
	for _, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			before := Event{UserID: []byte("keep"), Value: Value{Nanos: 42, Small: true}}
			ev := before
			err := d.Decode([]byte(tc.body), &ev)
			require.Error(t, err)
			assert.Same(t, tc.err, err, "got %v", err)
			assert.Equal(t, before, ev, "a rejected body leaves ev untouched")
		})
	}
}

// TestDecodeEverySentinel keeps the invalid table covering every error of one body.
func TestDecodeEverySentinel(t *testing.T) {
	hit := map[*Error]bool{}
	for _, tc := range invalidCases {
		hit[tc.err] = true
	}
	for _, e := range decodeErrors {
		assert.True(t, hit[e], "no invalid case for %v", e)
	}
}

// decodeErrors are the errors Decode gives; batchErrors the others, which only a batch
// body can give (batch_test.go covers them).
var (
	decodeErrors = []*Error{
		ErrMalformedJSON, ErrNotObject, ErrTrailingData, ErrTooDeep,
		ErrMissingUserID, ErrUserIDNotString, ErrEmptyUserID, ErrUserIDTooLong,
		ErrMissingValue, ErrValueNotNumber, ErrValueOutOfRange, ErrDuplicateMember,
	}
	batchErrors = []*Error{ErrNotArray, ErrTooManyEvents, ErrBatchTooLarge, ErrBadGzip, ErrUnsupportedEncoding}
	allErrors   = append(append([]*Error{}, decodeErrors...), batchErrors...)
)

// TestErrorReasons checks the invariant the response writer relies on.
func TestErrorReasons(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range allErrors {
		require.NotEmpty(t, e.Reason)
		assert.False(t, seen[e.Reason], "duplicate reason %q", e.Reason)
		seen[e.Reason] = true
		assert.Equal(t, "event: "+e.Reason, e.Error())
		for _, c := range []byte(e.Reason) {
			assert.True(t, c >= 0x20 && c < 0x7f && c != '"' && c != '\\', "reason %q", e.Reason)
		}
	}
}

// TestDecodePrefixes cuts valid bodies at every byte: no prefix is an event.
func TestDecodePrefixes(t *testing.T) {
	var d Decoder
	for _, tc := range validCases {
		body := []byte(strings.TrimRight(tc.body, " \t\r\n"))
		for n := range len(body) {
			var ev Event
			err := d.Decode(body[:n], &ev)
			require.Error(t, err, "%s cut at %d", tc.name, n)
		}
	}
}

// TestDecodeViews pins where UserID points: into the body without escapes,
// into the decoder's scratch with them, and the scratch is reused.
func TestDecodeViews(t *testing.T) {
	var d Decoder
	var ev Event
	plain := []byte(`{"userId":"abc","value":1}`)
	require.NoError(t, d.Decode(plain, &ev))
	require.Equal(t, "abc", string(ev.UserID))
	assert.Same(t, &plain[11], &ev.UserID[0], "an unescaped userId is a view of the body")

	escaped := []byte(`{"userId":"a\u0062c","value":1}`)
	require.NoError(t, d.Decode(escaped, &ev))
	require.Equal(t, "abc", string(ev.UserID))
	assert.Equal(t, len(ev.UserID), cap(ev.UserID), "appending to UserID cannot write into the scratch")
	first := &ev.UserID[0]
	require.NoError(t, d.Decode([]byte(`{"userId":"x\ty","value":1}`), &ev))
	require.Equal(t, "x\ty", string(ev.UserID))
	assert.Same(t, first, &ev.UserID[0], "the scratch is reused")

	bigNumber := []byte(`{"userId":"u","value":1e-20}`)
	require.NoError(t, d.Decode(bigNumber, &ev))
	assert.Same(t, &bigNumber[22], &ev.Value.Text[0], "Text is a view of the body")
}

// TestDecodeSameUser: escaped and raw spellings of one id are the same bytes.
func TestDecodeSameUser(t *testing.T) {
	var d Decoder
	spellings := []string{
		`{"userId":"useré","value":1}`,
		`{"userId":"user\u00e9","value":1}`,
		`{"userId":"user\u00E9","value":1}`,
		`{"userId":"\u0075ser\u00e9","value":1}`,
		`{"\u0075serId":"us\u0065r\u00e9","value":1}`,
	}
	for _, body := range spellings {
		var ev Event
		require.NoError(t, d.Decode([]byte(body), &ev), body)
		assert.Equal(t, []byte("useré"), ev.UserID, body)
	}
}

// TestDecodeClientRequests decodes the bodies real clients sent.
func TestDecodeClientRequests(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "testdata", "requests")
	files, _ := filepath.Glob(filepath.Join(dir, "*.http"))
	if len(files) == 0 {
		t.Skip("shared request captures not found at", dir)
	}
	var d Decoder
	for _, file := range files {
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		head, body, found := bytes.Cut(raw, []byte("\r\n\r\n"))
		require.True(t, found, file)
		if bytes.Contains(bytes.ToLower(head), []byte("transfer-encoding: chunked")) {
			continue // the body is framed in chunks; httpparse unframes it
		}
		var ev Event
		require.NoError(t, d.Decode(body, &ev), file)
		if strings.Contains(file, "long-userid") {
			assert.Len(t, ev.UserID, 1100, file)
			assert.Equal(t, Value{Nanos: 1_500_000_000, Small: true}, ev.Value, file)
			continue
		}
		assert.Equal(t, "user_12345", string(ev.UserID), file)
		assert.Equal(t, Value{Nanos: 345 * nano, Small: true}, ev.Value, file)
	}
}

// TestSpecialByteMask checks the word-at-a-time scan against the byte table:
// the first flagged byte is the first byte that is not plainStringByte.
func TestSpecialByteMask(t *testing.T) {
	firstSpecial := func(word []byte) int {
		for k, c := range word {
			if !plainStringByte[c] {
				return k
			}
		}
		return -1
	}
	check := func(word []byte) {
		t.Helper()
		got := plainRunEnd(word, 0)
		want := firstSpecial(word)
		if want < 0 {
			want = len(word)
		}
		require.Equal(t, want, got, "% x", word)
	}
	for v := range 256 {
		for pos := range 8 {
			word := []byte("abcdefgh")
			word[pos] = byte(v)
			check(word)
			for k := pos + 1; k < 8; k++ { // specials after the first must not matter
				word[k] = '"'
			}
			check(word)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		word := make([]byte, 8+rng.IntN(9))
		for k := range word {
			word[k] = byte(0x20 + rng.IntN(0x60))
			if rng.IntN(8) == 0 {
				word[k] = byte(rng.IntN(256))
			}
		}
		check(word)
	}
}

// TestIsJSONSpace: exactly SP, HTAB, LF and CR are whitespace (RFC 8259 §2).
func TestIsJSONSpace(t *testing.T) {
	for c := range 256 {
		want := c == ' ' || c == '\t' || c == '\n' || c == '\r'
		assert.Equal(t, want, isJSONSpace(byte(c)), "byte %#x", c)
	}
}
