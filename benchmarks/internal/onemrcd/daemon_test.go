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
	self, err := os.Executable()
	require.NoError(t, err)
	// The environment Start adds is what makes the test binary a daemon.
	d, err := Start(context.Background(), self, nil, filepath.Join(t.TempDir(), "d.log"), fakeDaemonEnv+"=1")
	require.NoError(t, err)
	resp, err := http.Get("http://" + d.Addr + "/health")
	require.NoError(t, err, "Start returns once the daemon answers")
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Positive(t, d.PID())
	assert.True(t, d.Alive())

	// The fake dies by the signal, not with exit 0: Stop reports that.
	assert.ErrorContains(t, d.Stop(), "signal: terminated")
	assert.False(t, d.Alive())
	_, err = http.Get("http://" + d.Addr + "/health")
	assert.Error(t, err, "nothing answers after Stop")
	assert.ErrorContains(t, d.Stop(), "had already exited", "a second Stop")
}

func TestKillEndsAProcessAtOnce(t *testing.T) {
	p, err := StartProcess("sleep", []string{"30"}, nil, filepath.Join(t.TempDir(), "p.log"))
	require.NoError(t, err)
	start := time.Now()
	p.Kill()
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.ErrorContains(t, p.ExitErr(), "signal: killed")
	select {
	case <-p.Exited():
	default:
		t.Fatal("Exited is closed once Kill returns")
	}
}

func TestStopReportsAFailureStatus(t *testing.T) {
	log := filepath.Join(t.TempDir(), "p.log")
	p, err := StartProcess("sh", []string{"-c", "trap 'echo bye; exit 3' TERM; echo hi; while :; do sleep 0.01; done"}, nil, log)
	require.NoError(t, err)
	require.Eventually(t, func() bool { b, _ := os.ReadFile(log); return len(b) > 0 }, 5*time.Second, 10*time.Millisecond)
	assert.ErrorContains(t, p.Stop(), "exit status 3")
	out, err := os.ReadFile(log)
	require.NoError(t, err)
	assert.Equal(t, "hi\nbye\n", string(out), "output is appended to the log")
}

func TestStartReportsADaemonThatExits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Start(ctx, "/bin/false", nil, filepath.Join(t.TempDir(), "d.log"))
	assert.ErrorContains(t, err, "exited before")
}
