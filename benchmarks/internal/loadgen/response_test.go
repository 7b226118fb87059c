package loadgen

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		status int
		n      int // bytes consumed; the input may hold more after it
		close  bool
		err    error
	}{
		{"canned 200", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200, 38, false, nil},
		{"with date", "HTTP/1.1 200 OK\r\nDate: Tue, 25 Nov 2026 19:00:00 GMT\r\nContent-Length: 0\r\n\r\n", 200, 75, false, nil},
		{"error body", "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"error\":\"bad json\"}", 400, 100, false, nil},
		{"two pipelined", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200, 38, false, nil},
		{"lower-case names", "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: Close\r\n\r\nok", 200, 59, true, nil},
		{"no reason phrase", "HTTP/1.1 204\r\n\r\n", 204, 16, false, nil},
		{"http/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 200, 39, false, nil},
		{"value spaces", "HTTP/1.1 200 OK\r\nContent-Length:   3  \r\n\r\nabc", 200, 45, false, nil},
		{"repeated equal lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 200, 58, false, nil},

		{"empty", "", 0, 0, false, ErrNeedMore},
		{"partial head", "HTTP/1.1 200 OK\r\nContent-Le", 0, 0, false, ErrNeedMore},
		{"partial body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", 0, 0, false, ErrNeedMore},
		{"not http", "SSH-2.0-OpenSSH\r\n\r\n", 0, 0, false, ErrMalformedResponse},
		{"bad status", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", 0, 0, false, ErrMalformedResponse},
		{"status glued to reason", "HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n", 0, 0, false, ErrMalformedResponse},
		{"header without colon", "HTTP/1.1 200 OK\r\nContent-Length 0\r\n\r\n", 0, 0, false, ErrMalformedResponse},
		{"signed length", "HTTP/1.1 200 OK\r\nContent-Length: +0\r\n\r\n", 0, 0, false, ErrMalformedResponse},
		{"conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy", 0, 0, false, ErrMalformedResponse},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, 0, false, ErrUnsupportedResponse},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n", 0, 0, false, ErrUnsupportedResponse},
		{"huge length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n", 0, 0, false, ErrResponseTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, n, err := ParseResponse([]byte(tt.in))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				assert.Zero(t, n)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.status, resp.Status)
			assert.Equal(t, tt.n, n)
			assert.Equal(t, tt.close, resp.Close)
		})
	}
}

func TestParseResponseAtEverySplit(t *testing.T) {
	// A response cut anywhere before its last byte needs more; the whole
	// one parses. This is how responses straddle reads.
	full := "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"error\":\"bad json\"}"
	for cut := range len(full) {
		_, _, err := ParseResponse([]byte(full[:cut]))
		require.ErrorIs(t, err, ErrNeedMore, "cut at %d", cut)
	}
	resp, n, err := ParseResponse([]byte(full))
	require.NoError(t, err)
	assert.Equal(t, 400, resp.Status)
	assert.Equal(t, len(full), n)
}

func TestParseResponseHeadLimit(t *testing.T) {
	big := make([]byte, maxResponseHead+10)
	copy(big, "HTTP/1.1 200 OK\r\nX: ")
	for i := 21; i < len(big); i++ {
		big[i] = 'a'
	}
	_, _, err := ParseResponse(big)
	require.ErrorIs(t, err, ErrResponseTooLarge)
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, n, err := ParseResponse(data)
		if err != nil {
			if n != 0 {
				t.Fatalf("error %v with n=%d", err, n)
			}
			return
		}
		if n <= 0 || n > len(data) {
			t.Fatalf("consumed %d of %d", n, len(data))
		}
		if resp.Status < 0 || resp.Status > 999 {
			t.Fatalf("status %d", resp.Status)
		}
		// Parsing is a pure function of the bytes it consumed.
		again, n2, err := ParseResponse(data[:n])
		if err != nil || n2 != n || again.Status != resp.Status || again.Close != resp.Close || !bytes.Equal(again.Body, resp.Body) {
			t.Fatalf("reparse: %v %d %+v", err, n2, again)
		}
		// Where net/http also reads a response from the same bytes, it must
		// agree on the status and on where the response ends.
		src := bytes.NewReader(data[:n])
		br := bufio.NewReader(src)
		ref, err := http.ReadResponse(br, nil)
		if err != nil {
			return
		}
		body, err := io.ReadAll(ref.Body)
		if err != nil {
			return
		}
		consumed := n - br.Buffered() - src.Len()
		if ref.StatusCode != resp.Status || consumed != n {
			t.Fatalf("net/http: status %d, consumed %d (body %d); ours: status %d, consumed %d",
				ref.StatusCode, consumed, len(body), resp.Status, n)
		}
	})
}
