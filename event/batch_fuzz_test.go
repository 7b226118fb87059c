package event

import (
	"bytes"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzBatch compares the batch walk with encoding/json on the same bytes.
//
// encoding/json frames the batch: for an array, json.Valid and Unmarshal into
// []json.RawMessage give its elements (a body it finds invalid, or not an array, must be
// refused); for NDJSON the elements are the lines that are not blank. Each element must
// then fare as Decode fares on it alone (FuzzDecodeDifferential holds Decode to
// encoding/json): the walk accepts exactly when every element decodes, stops at the
// first that does not, with its error and index, and yields the events Decode yields,
// whose userId and value encoding/json reads alike.
func FuzzBatch(f *testing.F) {
	for _, tc := range batchCases {
		f.Add(tc.format == Array, []byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, array bool, body []byte) {
		format := NDJSON
		if array {
			format = Array
		}
		got, err, index := walkBatch(body, format, 1<<20)
		var elems [][]byte
		if array {
			var raws []json.RawMessage
			if !json.Valid(body) {
				require.Error(t, err, "encoding/json finds %q invalid", body)
				return
			}
			if json.Unmarshal(body, &raws) != nil {
				require.Equal(t, ErrNotArray, err, "valid JSON that is no array: %q", body)
				return
			}
			for _, r := range raws {
				elems = append(elems, r)
			}
		} else {
			for _, line := range bytes.Split(body, []byte("\n")) {
				if skipJSONSpace(line, 0) != len(line) {
					elems = append(elems, line)
				}
			}
		}
		var want []decodedEvent
		for k, raw := range elems {
			var d Decoder
			var ev Event
			if derr := d.Decode(raw, &ev); derr != nil {
				require.Equal(t, derr, err, "element %d, %q", k, raw)
				require.Equal(t, k, index)
				require.Equal(t, want, got)
				return
			}
			if !array {
				// Decode took the line as one event: so does encoding/json.
				require.True(t, json.Valid(raw), "line %d, %q", k, raw)
			}
			sameAsEncodingJSON(t, raw, &ev)
			want = append(want, copyEvent(&ev))
		}
		require.NoError(t, err, "every element decodes: %q", body)
		require.Equal(t, want, got)
		require.Equal(t, len(want), index)
	})
}

// sameAsEncodingJSON checks that encoding/json reads the userId and value Decode read
// from raw, unless raw has a member name encoding/json would fold onto them.
func sameAsEncodingJSON(t *testing.T, raw []byte, ev *Event) {
	if !namesUnambiguous(raw) {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var std differentialEvent
	require.NoError(t, dec.Decode(&std))
	require.NotNil(t, std.UserID)
	require.NotNil(t, std.Value)
	require.Equal(t, *std.UserID, string(ev.UserID))
	want := exactRat(t, std.Value.String())
	got := big.NewRat(ev.Value.Nanos, 1e9)
	if !ev.Value.Small {
		got = exactRat(t, string(ev.Value.Text))
	}
	require.Zero(t, want.Cmp(got), "value %s decoded as %v", std.Value.String(), ev.Value)
}
