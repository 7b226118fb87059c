package event

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodedEvent is an Event copied out of the body, for comparisons.
type decodedEvent struct {
	user  string
	nanos int64 // Small values
	text  string
}

func copyEvent(ev *Event) decodedEvent {
	return decodedEvent{user: string(ev.UserID), nanos: ev.Value.Nanos, text: string(ev.Value.Text)}
}

// walkBatch walks body to its end and returns the events, the error and the index. It
// also stages the batch and panics unless Stage agrees with the walk.
func walkBatch(body []byte, f BatchFormat, maxEvents int) ([]decodedEvent, error, int) {
	var (
		b   Batch
		d   Decoder
		ev  Event
		out []decodedEvent
	)
	b.Reset(body, f, maxEvents)
	for b.Next(&d, &ev) {
		out = append(out, copyEvent(&ev))
	}
	err, index := b.Err(), b.Index()

	var st Staged
	b.Reset(body, f, maxEvents)
	if serr := b.Stage(&d, &st); serr != err || b.Index() != index {
		panic(fmt.Sprintf("Stage: %v at %d, the walk: %v at %d", serr, b.Index(), err, index))
	}
	if err == nil {
		var staged []decodedEvent
		for i := range st.Len() {
			st.Event(i, &ev)
			staged = append(staged, copyEvent(&ev))
		}
		if !reflect.DeepEqual(staged, out) {
			panic(fmt.Sprintf("staged %v, walked %v", staged, out))
		}
	}
	return out, err, index
}

func whole(user string, n int64) decodedEvent {
	return decodedEvent{user: user, nanos: n * 1e9}
}

var batchCases = []struct {
	name   string
	format BatchFormat
	body   string
	want   []decodedEvent
	err    *Error
	index  int // of the failing element
}{
	// NDJSON
	{"ndjson one", NDJSON, `{"userId":"a","value":1}`, []decodedEvent{whole("a", 1)}, nil, 0},
	{"ndjson lines", NDJSON, "{\"userId\":\"a\",\"value\":1}\n{\"userId\":\"b\",\"value\":2}\n",
		[]decodedEvent{whole("a", 1), whole("b", 2)}, nil, 0},
	{"ndjson crlf and blank lines", NDJSON, "\r\n{\"userId\":\"a\",\"value\":1}\r\n \t\r\n\n{\"userId\":\"b\",\"value\":2}",
		[]decodedEvent{whole("a", 1), whole("b", 2)}, nil, 0},
	{"ndjson escapes per line", NDJSON, "{\"userId\":\"\\u0061x\",\"value\":0.5}\n{\"value\":1e2,\"userId\":\"b\\n\"}",
		[]decodedEvent{{user: "ax", nanos: 5e8}, whole("b\n", 100)}, nil, 0},
	{"ndjson empty", NDJSON, "", nil, nil, 0},
	{"escaped userId, then an escaped name", NDJSON, "{\"userId\":\"\\u0061b\",\"v\\u0061lue\":1}\n{\"userId\":\"c\",\"value\":2}",
		[]decodedEvent{whole("ab", 1), whole("c", 2)}, nil, 0},
	{"escaped name, then a plain userId", Array, "[{\"v\\u0061lue\":1,\"userId\":\"ab\"},{\"userId\":\"\\\\\",\"value\":1.5e400}]",
		[]decodedEvent{whole("ab", 1)}, ErrValueOutOfRange, 1},
	{"escaped name, plain userId, big value", Array, "[{\"v\\u0061lue\":1,\"userId\":\"ab\"},{\"userId\":\"\\\\\",\"value\":1.0000000001}]",
		[]decodedEvent{whole("ab", 1), {user: "\\", text: "1.0000000001"}}, nil, 0},
	{"ndjson only blank lines", NDJSON, "\n \n\r\n", nil, nil, 0},
	{"ndjson bad second line", NDJSON, "{\"userId\":\"a\",\"value\":1}\n{\"userId\":\"b\"}\n",
		[]decodedEvent{whole("a", 1)}, ErrMissingValue, 1},
	{"ndjson blank lines do not count", NDJSON, "\n{\"userId\":\"a\",\"value\":1}\n\n\n{\"userId\":1,\"value\":2}",
		[]decodedEvent{whole("a", 1)}, ErrUserIDNotString, 1},
	{"ndjson object across lines", NDJSON, "{\"userId\":\"a\",\n\"value\":1}", nil, ErrMalformedJSON, 0},
	{"ndjson two objects on a line", NDJSON, `{"userId":"a","value":1} {"userId":"b","value":2}`, nil, ErrTrailingData, 0},
	{"ndjson array line", NDJSON, `[{"userId":"a","value":1}]`, nil, ErrNotObject, 0},
	{"ndjson last line truncated", NDJSON, "{\"userId\":\"a\",\"value\":1}\n{\"userId\":\"b\",\"val", []decodedEvent{whole("a", 1)}, ErrMalformedJSON, 1},
	{"ndjson raw newline in a string", NDJSON, "{\"userId\":\"a\nb\",\"value\":1}", nil, ErrMalformedJSON, 0},
	// Arrays
	{"array", Array, `[{"userId":"a","value":1},{"userId":"b","value":2}]`,
		[]decodedEvent{whole("a", 1), whole("b", 2)}, nil, 0},
	{"array with whitespace", Array, " \n[ {\"userId\":\"a\",\"value\":1} ,\r\n\t{\"userId\":\"b\",\"value\":2}\n]\n ",
		[]decodedEvent{whole("a", 1), whole("b", 2)}, nil, 0},
	{"array empty", Array, `[]`, nil, nil, 0},
	{"array empty with spaces", Array, ` [ ] `, nil, nil, 0},
	{"array big value", Array, `[{"userId":"a","value":1e300}]`, []decodedEvent{{user: "a", text: "1e300"}}, nil, 0},
	{"array not an array", Array, `{"userId":"a","value":1}`, nil, ErrNotArray, 0},
	{"array empty body", Array, ``, nil, ErrNotArray, 0},
	{"array trailing comma", Array, `[{"userId":"a","value":1},]`, []decodedEvent{whole("a", 1)}, ErrMalformedJSON, 1},
	{"array leading comma", Array, `[,{"userId":"a","value":1}]`, nil, ErrMalformedJSON, 0},
	{"array missing comma", Array, `[{"userId":"a","value":1} {"userId":"b","value":2}]`, []decodedEvent{whole("a", 1)}, ErrMalformedJSON, 1},
	{"array unclosed", Array, `[{"userId":"a","value":1}`, []decodedEvent{whole("a", 1)}, ErrMalformedJSON, 1},
	{"array unclosed after comma", Array, `[{"userId":"a","value":1},`, []decodedEvent{whole("a", 1)}, ErrMalformedJSON, 1},
	{"array trailing data", Array, `[{"userId":"a","value":1}] x`, []decodedEvent{whole("a", 1)}, ErrTrailingData, 1},
	{"array second array", Array, `[][]`, nil, ErrTrailingData, 0},
	{"array element not an object", Array, `[{"userId":"a","value":1},2]`, []decodedEvent{whole("a", 1)}, ErrNotObject, 1},
	{"array element malformed", Array, `[{"userId":"a","value":1},[1,}]`, []decodedEvent{whole("a", 1)}, ErrMalformedJSON, 1},
	{"array element missing userId", Array, `[{"value":1}]`, nil, ErrMissingUserID, 0},
	{"array element duplicate", Array, `[{"userId":"a","value":1,"value":2}]`, nil, ErrDuplicateMember, 0},
	{"array nested array", Array, `[[{"userId":"a","value":1}]]`, nil, ErrNotObject, 0},
	// Limits
	{"ndjson at the limit", NDJSON, strings.Repeat("{\"userId\":\"a\",\"value\":1}\n", 3),
		[]decodedEvent{whole("a", 1), whole("a", 1), whole("a", 1)}, nil, 0},
	{"ndjson past the limit", NDJSON, strings.Repeat("{\"userId\":\"a\",\"value\":1}\n", 4),
		[]decodedEvent{whole("a", 1), whole("a", 1), whole("a", 1)}, ErrTooManyEvents, 3},
	{"array past the limit", Array, "[" + strings.Repeat(`{"userId":"a","value":1},`, 3) + `{"userId":"a","value":1}]`,
		[]decodedEvent{whole("a", 1), whole("a", 1), whole("a", 1)}, ErrTooManyEvents, 3},
}

func TestBatch(t *testing.T) {
	for _, tc := range batchCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err, index := walkBatch([]byte(tc.body), tc.format, 3)
			assert.Equal(t, tc.want, got)
			if tc.err == nil {
				require.NoError(t, err)
				assert.Equal(t, len(tc.want), index, "Index counts the events")
				return
			}
			assert.Equal(t, tc.err, err)
			assert.Equal(t, tc.index, index)
		})
	}
}

// An element that fails leaves ev as the last good element left it, and a walk that
// ended stays ended.
func TestBatchStopsAtTheFirstError(t *testing.T) {
	var (
		b  Batch
		d  Decoder
		ev Event
	)
	b.Reset([]byte("{\"userId\":\"a\",\"value\":1}\n{\"userId\":\"b\"}\n{\"userId\":\"c\",\"value\":3}"), NDJSON, 10)
	require.True(t, b.Next(&d, &ev))
	assert.False(t, b.Next(&d, &ev))
	assert.Equal(t, whole("a", 1), copyEvent(&ev))
	assert.False(t, b.Next(&d, &ev))
	assert.Equal(t, ErrMissingValue, b.Err())
	assert.Equal(t, 1, b.Index())
}

func TestSniffBatchFormat(t *testing.T) {
	assert.Equal(t, Array, SniffBatchFormat([]byte(" \r\n[")))
	assert.Equal(t, NDJSON, SniffBatchFormat([]byte(`{"userId":"a","value":1}`)))
	assert.Equal(t, NDJSON, SniffBatchFormat(nil))
	assert.Equal(t, NDJSON, SniffBatchFormat([]byte("x")))
}

func gzipped(t testing.TB, parts ...string) []byte {
	var buf bytes.Buffer
	for _, p := range parts { // one member each
		zw := gzip.NewWriter(&buf)
		_, err := zw.Write([]byte(p))
		require.NoError(t, err)
		require.NoError(t, zw.Close())
	}
	return buf.Bytes()
}

func TestGunzip(t *testing.T) {
	body := strings.Repeat("{\"userId\":\"user_1\",\"value\":1}\n", 5000) // 150,000 bytes
	whole := gzipped(t, body)
	var z Inflater
	for range 2 { // a reused Inflater behaves like a fresh one
		got, err := z.Gunzip(whole, len(body))
		require.Nil(t, err)
		assert.Equal(t, body, string(got))
	}
	got, err := z.Gunzip(gzipped(t, "ab", "", "cd"), 10)
	require.Nil(t, err)
	assert.Equal(t, "abcd", string(got), "members concatenate")

	_, err = z.Gunzip(whole, len(body)-1)
	assert.Equal(t, ErrBatchTooLarge, err, "one byte past the limit")

	bomb := gzipped(t, strings.Repeat("\x00", 64<<20))
	_, err = z.Gunzip(bomb, 1<<20)
	assert.Equal(t, ErrBatchTooLarge, err)
	assert.LessOrEqual(t, cap(z.buf), 1<<20+1, "a bomb costs the limit, not its size")

	bad := []struct {
		name string
		body []byte
	}{
		{"empty", nil},
		{"not gzip", []byte(body[:100])},
		{"truncated", whole[:len(whole)/2]},
		{"truncated trailer", whole[:len(whole)-3]},
		{"trailing garbage", append(bytes.Clone(whole), "xyz"...)},
		{"bad crc", func() []byte { b := bytes.Clone(whole); b[len(b)-6] ^= 1; return b }()},
		{"corrupt data", func() []byte { b := bytes.Clone(whole); b[len(b)/2] ^= 0xff; return b }()},
	}
	for _, tc := range bad {
		_, err := z.Gunzip(tc.body, len(body))
		assert.Equal(t, ErrBadGzip, err, tc.name)
	}
	got, err = z.Gunzip(whole, len(body))
	require.Nil(t, err, "usable after errors")
	assert.Equal(t, body, string(got))

	z.Release(1 << 10)
	assert.Nil(t, z.buf)
}

// TestBatchEverySentinel keeps the tables covering every batch error but
// ErrUnsupportedEncoding, which the daemon gives from the request's header
// (pipeline tests cover it).
func TestBatchEverySentinel(t *testing.T) {
	hit := map[*Error]bool{ErrBatchTooLarge: true, ErrBadGzip: true} // TestGunzip
	for _, tc := range batchCases {
		hit[tc.err] = true
	}
	for _, e := range batchErrors {
		if e != ErrUnsupportedEncoding {
			assert.True(t, hit[e], "no batch case for %v", e)
		}
	}
}

func TestStagedRelease(t *testing.T) {
	var (
		b  Batch
		d  Decoder
		st Staged
	)
	b.Reset([]byte("{\"userId\":\"\\u0061\",\"value\":1}\n{\"userId\":\"b\",\"value\":2}"), NDJSON, 10)
	require.NoError(t, b.Stage(&d, &st))
	require.Equal(t, 2, st.Len())
	st.Release(2, 64)
	assert.Nil(t, st.body)
	assert.NotNil(t, st.events, "within keepEvents: kept")
	assert.NotNil(t, st.arena, "within keepArena: kept")
	st.Release(1, 0)
	assert.Nil(t, st.events)
	assert.Nil(t, st.arena)
}
