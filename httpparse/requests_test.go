package httpparse

import (
	"path/filepath"
	"strings"
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

// TestRealRequestsPresent fails when a capture is missing from
// testdata/requests or one there is not in realRequestNames, so no test or
// benchmark runs on a partial set.
func TestRealRequestsPresent(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(localRequests, "*.http"))
	require.NoError(t, err)
	var names []string
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".http"))
	}
	assert.ElementsMatch(t, realRequestNames, names)
}
