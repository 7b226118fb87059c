package loadgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncoderGoldenRequests(t *testing.T) {
	tests := []struct {
		name  string
		users int
		half  bool
		i     uint64
		want  string
	}{
		{"first event", 75_000, false, 0, "POST /event HTTP/1.1\r\nHost: 127.0.0.1:9\r\nUser-Agent: onemrc-challenge\r\n" +
			"Content-Type: application/json\r\nContent-Length: 29\r\n\r\n{\"userId\":\"user_0\",\"value\":0}"},
		{"wraps users and values", 75_000, false, 75_123, "POST /event HTTP/1.1\r\nHost: 127.0.0.1:9\r\nUser-Agent: onemrc-challenge\r\n" +
			"Content-Type: application/json\r\nContent-Length: 33\r\n\r\n{\"userId\":\"user_123\",\"value\":123}"},
		{"half values", 75_000, true, 999_999, "POST /event HTTP/1.1\r\nHost: 127.0.0.1:9\r\nUser-Agent: onemrc-challenge\r\n" +
			"Content-Type: application/json\r\nContent-Length: 37\r\n\r\n{\"userId\":\"user_24999\",\"value\":999.5}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewEncoder("127.0.0.1:9", tt.users, tt.half).Append([]byte("keep"), tt.i)
			assert.Equal(t, "keep"+tt.want, string(got))
		})
	}
}

func TestEncoderRequestsParseWithNetHTTP(t *testing.T) {
	// Every request must be one valid HTTP/1.1 request whose body is the
	// event, across all digit counts of user and value.
	for _, half := range []bool{false, true} {
		enc := NewEncoder("localhost:8080", 123_457, half)
		var stream []byte
		indices := []uint64{0, 9, 10, 99, 100, 999, 1000, 12_345, 123_456, 999_999, 1_000_001}
		for _, i := range indices {
			stream = enc.Append(stream, i)
		}
		r := bufio.NewReader(bytes.NewReader(stream))
		for _, i := range indices {
			req, err := http.ReadRequest(r)
			require.NoError(t, err)
			assert.Equal(t, "POST", req.Method)
			assert.Equal(t, "/event", req.URL.Path)
			assert.Equal(t, "localhost:8080", req.Host)
			body, err := io.ReadAll(req.Body)
			require.NoError(t, err)
			var ev struct {
				UserID string  `json:"userId"`
				Value  float64 `json:"value"`
			}
			require.NoError(t, json.Unmarshal(body, &ev), string(body))
			user, doubled := enc.Event(i)
			assert.Equal(t, "user_"+itoa(user), ev.UserID)
			assert.Equal(t, float64(doubled)/2, ev.Value)
		}
		_, err := r.ReadByte()
		assert.ErrorIs(t, err, io.EOF, "no bytes after the last request")
	}
}

func itoa(v uint64) string { return string(appendUint(nil, v)) }

func appendUint(dst []byte, v uint64) []byte {
	if v >= 10 {
		dst = appendUint(dst, v/10)
	}
	return append(dst, byte('0'+v%10))
}

func TestDecimalDigits(t *testing.T) {
	for _, tt := range []struct {
		v    uint64
		want int
	}{{0, 1}, {9, 1}, {10, 2}, {99, 2}, {100, 3}, {74_999, 5}, {1<<64 - 1, 20}} {
		assert.Equal(t, tt.want, decimalDigits(tt.v), "%d", tt.v)
	}
}

func TestExpectedFigures(t *testing.T) {
	tests := []struct {
		name            string
		n, users        uint64
		half            bool
		requests, uniq  uint64
		sumText, avgOut string
		avg             float64
	}{
		{"challenge", 1_000_000, 75_000, false, 1_000_000, 75_000, "499500000", "", 499.5},
		{"challenge half", 1_000_000, 75_000, true, 1_000_000, 75_000, "500000000", "", 500},
		{"partial cycle", 1_500, 75_000, false, 1_500, 1_500, "624250", "", 624250.0 / 1500},
		{"partial cycle half", 3, 2, true, 3, 2, "9/2", "", 1.5},
		{"one event", 1, 75_000, false, 1, 1, "0", "", 0},
		{"nothing", 0, 75_000, false, 0, 0, "0", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Expected(tt.n, tt.users, tt.half)
			assert.Equal(t, tt.requests, f.Requests)
			assert.Equal(t, tt.uniq, f.Users)
			assert.Equal(t, tt.sumText, f.Sum().RatString())
			assert.Equal(t, tt.avg, f.Avg())
		})
	}
}

func TestExpectedMatchesBruteForce(t *testing.T) {
	for _, n := range []uint64{1, 999, 1000, 1001, 2999, 54_321} {
		for _, half := range []bool{false, true} {
			enc := NewEncoder("x", 7, half)
			var sumHalves uint64
			for i := range n {
				_, v := enc.Event(i)
				sumHalves += v
			}
			assert.Equal(t, sumHalves, Expected(n, 7, half).SumHalves, "n=%d half=%v", n, half)
		}
	}
}

// A batch request is a valid HTTP request whose NDJSON lines are, one by one, the bodies
// Append sends for the same events.
func TestAppendBatchCarriesTheSameEvents(t *testing.T) {
	for _, half := range []bool{false, true} {
		enc := NewEncoder("h:1", 7, half)
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(enc.AppendBatch(nil, 995, 12))))
		require.NoError(t, err)
		assert.Equal(t, "/events", req.URL.Path)
		assert.Equal(t, "application/x-ndjson", req.Header.Get("Content-Type"))
		body, err := io.ReadAll(req.Body)
		require.NoError(t, err)
		lines := strings.SplitAfter(string(body), "\n")
		require.Len(t, lines, 13) // 12 lines and the empty rest after the last LF
		for k, line := range lines[:12] {
			single, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(enc.Append(nil, uint64(995+k)))))
			require.NoError(t, err)
			want, err := io.ReadAll(single.Body)
			require.NoError(t, err)
			assert.Equal(t, string(want)+"\n", line)
		}
	}
}
