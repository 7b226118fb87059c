package httpparse

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const eventBody = `{"userId":"user_12345","value":345}`

// TestRealRequests checks golden fields of every real client capture.
func TestRealRequests(t *testing.T) {
	longBody := `{"userId":"` + string(make1100u()) + `","value":1.5}`
	tests := []struct {
		name      string
		keepAlive bool
		chunked   bool
		cl        int64
		body      string
	}{
		{"curl", true, false, 35, eventBody},
		{"curlchunked", true, true, -1, eventBody},
		{"curl-long-userid", true, false, 1125, longBody},
		{"goclient", true, false, 35, eventBody},
		{"node", true, false, 35, eventBody},
		{"python", false, false, 38, `{"userId": "user_12345", "value": 345}`},
		{"wget", true, false, 35, eventBody},
	}
	require.Len(t, tests, len(realRequestNames))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := loadRequest(t, tt.name)
			var r Request
			n, err := Parse(buf, &r, Limits{})
			require.NoError(t, err)
			assert.Equal(t, len(buf), n, "consumed")
			assert.Equal(t, MethodPost, r.Method)
			assert.Equal(t, "POST", string(r.MethodName))
			assert.Equal(t, "/event", string(r.Path))
			assert.Equal(t, "/event", string(r.Target))
			assert.Equal(t, 1, r.Minor)
			assert.Equal(t, tt.keepAlive, r.KeepAlive)
			assert.False(t, r.ExpectContinue)
			assert.True(t, r.HeaderDone)
			assert.Equal(t, tt.chunked, r.Chunked)
			assert.Equal(t, tt.cl, r.ContentLength)
			assert.Equal(t, "127.0.0.1:8080", string(r.Host))
			assert.Equal(t, tt.body, string(r.Body))
		})
	}
}

func make1100u() []byte {
	b := make([]byte, 1100)
	for i := range b {
		b[i] = 'u'
	}
	return b
}

// TestRealRequestsCopied checks that testdata/requests is a byte-exact copy
// of the shared captures, so the package tests exercise the real bytes.
func TestRealRequestsCopied(t *testing.T) {
	if _, err := os.Stat(sharedRequests); err != nil {
		t.Skip("shared testdata absent:", err)
	}
	shared, err := filepath.Glob(filepath.Join(sharedRequests, "*.http"))
	require.NoError(t, err)
	require.NotEmpty(t, shared)
	local, err := filepath.Glob(filepath.Join(localRequests, "*.http"))
	require.NoError(t, err)
	require.Len(t, local, len(shared))
	for _, path := range shared {
		want, err := os.ReadFile(path)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(localRequests, filepath.Base(path)))
		require.NoError(t, err, "missing local copy of %s", filepath.Base(path))
		assert.Equal(t, want, got, filepath.Base(path))
	}
}
