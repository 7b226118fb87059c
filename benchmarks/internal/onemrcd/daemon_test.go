package onemrcd

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeDaemonEnv makes the test binary, started by Start, act as a daemon: it serves
// GET /health on the -addr it is given until SIGTERM ends it.
const fakeDaemonEnv = "ONEMRCD_TEST_FAKE_DAEMON"

func TestMain(m *testing.M) {
	if os.Getenv(fakeDaemonEnv) == "1" {
		fakeDaemon(os.Args[1:])
		return
	}
	os.Exit(m.Run())
}

func fakeDaemon(args []string) {
	var addr string
	for i, a := range args {
		if a == "-addr" && i+1 < len(args) {
			addr = args[i+1]
		}
	}
	http.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	_ = http.ListenAndServe(addr, nil) // SIGTERM's default action ends the process
}

func TestStartWaitsForHealthAndStopEndsTheProcess(t *testing.T) {
	t.Setenv(fakeDaemonEnv, "1")
	self, err := os.Executable()
	require.NoError(t, err)
	d, err := Start(context.Background(), self, nil, filepath.Join(t.TempDir(), "d.log"))
	require.NoError(t, err)
	resp, err := http.Get("http://" + d.Addr + "/health")
	require.NoError(t, err, "Start returns once the daemon answers")
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Positive(t, d.PID())

	// The fake dies by the signal, not with exit 0: Stop reports that.
	assert.ErrorContains(t, d.Stop(), "signal: terminated")
	_, err = http.Get("http://" + d.Addr + "/health")
	assert.Error(t, err, "nothing answers after Stop")
}

func TestStartReportsADaemonThatExits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Start(ctx, "/bin/false", nil, filepath.Join(t.TempDir(), "d.log"))
	assert.ErrorContains(t, err, "exited before it was healthy")
}
