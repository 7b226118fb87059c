package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The samples are real wrk 4.1.0 output captured against the nethttp peer:
// one plain run, one pipelined run at a path that answers 405.
func readSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return string(b)
}

func TestParseWrkOutputSamples(t *testing.T) {
	rep, err := parseWrkOutput([]byte(readSample(t, "wrk_events_c50.txt")))
	require.NoError(t, err)
	assert.Equal(t, int64(16111), rep.Requests)
	assert.Equal(t, int64(1001688), rep.DurationUS)
	assert.Equal(t, int64(1), rep.Depth)
	assert.Equal(t, wrkErrors{}, rep.Errors)
	assert.Equal(t, []wrkThread{{ID: 0, First: 0, Calls: 16127}}, rep.Threads)
	assert.Equal(t, int64(16127), rep.generated())
	assert.InDelta(t, 2048, rep.LatencyUS.P50, 0)
	assert.InDelta(t, 16083.9, rep.reqPerSec(), 0.1) // wrk printed 16083.85

	rep, err = parseWrkOutput([]byte(readSample(t, "wrk_pipeline_status_errors.txt")))
	require.NoError(t, err)
	assert.Equal(t, int64(16), rep.Depth)
	assert.Equal(t, int64(41476), rep.Errors.Status)
	assert.Equal(t, int64(41476), rep.Errors.total())
	assert.Equal(t, int64(2599*16), rep.generated())
}

func TestParseWrkOutputCrossChecks(t *testing.T) {
	plain := readSample(t, "wrk_events_c50.txt")
	const socketLine = "  Socket errors: connect 0, read 3, write 1, timeout 7\n"
	withSocket := strings.Replace(plain, "Requests/sec:", socketLine+"Requests/sec:", 1)
	withSocket = strings.Replace(withSocket, `"read":0,"write":0,"status":0,"timeout":0`, `"read":3,"write":1,"status":0,"timeout":7`, 1)

	rep, err := parseWrkOutput([]byte(withSocket))
	require.NoError(t, err)
	assert.Equal(t, wrkErrors{Read: 3, Write: 1, Timeout: 7}, rep.Errors)
	assert.Equal(t, int64(11), rep.Errors.total())

	cases := map[string]string{
		"no report line":         strings.Replace(plain, "ONEMRC_WRK ", "", 1),
		"broken report JSON":     strings.Replace(plain, `"requests":16111,`, `"requests":,`, 1),
		"requests disagree":      strings.Replace(plain, "16111 requests in", "16112 requests in", 1),
		"no requests line":       strings.Replace(plain, "16111 requests in", "requests in", 1),
		"socket errors disagree": strings.Replace(plain, "Requests/sec:", socketLine+"Requests/sec:", 1),
		"status disagrees":       strings.Replace(plain, "Requests/sec:", "  Non-2xx or 3xx responses: 5\nRequests/sec:", 1),
		"no threads":             strings.Replace(plain, `"threads":[{"id":0,"first":0,"calls":16127}]`, `"threads":[]`, 1),
	}
	for name, out := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := parseWrkOutput([]byte(out))
			require.ErrorIs(t, err, errWrkOutput)
		})
	}
}
