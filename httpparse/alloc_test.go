//go:build !race

package httpparse

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseDoesNotAllocate proves the hot path allocation-free: a
// Content-Length request, a single-chunk request, and (after the scratch
// has grown once) a multi-chunk request, plus the ErrNeedMore and error
// paths the event loop hits.
func TestParseDoesNotAllocate(t *testing.T) {
	multi := []byte(crlf("POST /event HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n" +
		"10\n{\"userId\":\"user_\n13\n12345\",\"value\":345}\n0\n\n"))
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"curl", loadRequest(t, "curl"), nil},
		{"node", loadRequest(t, "node"), nil},
		{"curlchunked", loadRequest(t, "curlchunked"), nil},
		{"multichunk", multi, nil},
		{"need more", loadRequest(t, "curl")[:150], ErrNeedMore},
		{"error", []byte("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), ErrDuplicateHost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Request
			_, err := Parse(tt.in, &r, Limits{}) // warm-up: grows the scratch once
			require.Equal(t, tt.want, err)
			allocs := testing.AllocsPerRun(200, func() {
				if _, err := Parse(tt.in, &r, Limits{}); err != tt.want {
					t.Fatal(err)
				}
			})
			assert.Zero(t, allocs)
		})
	}
}

// TestParseFromDoesNotAllocate trickles requests one byte at a time through
// Blocked and ParseFrom, the way the event loop does, once the Request's
// scratch has grown: nothing allocates, waiting or resuming.
func TestParseFromDoesNotAllocate(t *testing.T) {
	for _, in := range [][]byte{
		loadRequest(t, "curl"),
		[]byte(chunkedHead + longExtChunks(3, 200, 2)),
		[]byte(header8K()),
	} {
		var (
			st  State
			r   Request
			err error
		)
		trickle := func() {
			scanned := 0
			for k := 1; k <= len(in); k++ {
				if st.Blocked(in[:k], scanned) {
					scanned = k
					continue
				}
				if _, err = ParseFrom(in[:k], &r, Limits{}, &st); err != ErrNeedMore {
					break
				}
				scanned = k
			}
		}
		trickle() // warm-up: grows the scratch once
		require.NoError(t, err)
		assert.Zero(t, testing.AllocsPerRun(20, trickle), "%.40q", in)
		require.NoError(t, err)
	}
}
