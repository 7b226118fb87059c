package main

import (
	"bufio"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sendEvents posts events for users prefix0..prefixN-1 with the given value text on one
// connection, pipelined, and requires a 200 for each.
func sendEvents(t *testing.T, d *testDaemon, prefix string, n int, value string) {
	t.Helper()
	c := d.dial()
	br := bufio.NewReader(c)
	for sent := 0; sent < n; {
		batch := min(n-sent, 200)
		var buf []byte
		for i := range batch {
			buf = append(buf, eventRequest(prefix+strconv.Itoa(sent+i), value)...)
		}
		_, err := c.Write(buf)
		require.NoError(t, err)
		requireOnlyOK(t, readResponses(t, br, batch))
		sent += batch
	}
}

func TestRestartAfterSIGTERMLosesNothing(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, "-data-dir", dir)
	sendEvents(t, d, "u", 3000, "1.5")
	sendEvents(t, d, "u", 1000, "0.1234567891") // beyond nine decimals: the exact slow path
	sendEvents(t, d, "v", 500, "-2")
	before := d.stats()
	require.Equal(t, 0, d.stop())

	d2 := startDaemon(t, "-data-dir", dir)
	assert.Equal(t, before, d2.stats())
	assert.Contains(t, d2.logs.String(), "restoring checkpoint")

	// Old users stay known; counting goes on from where it was.
	sendEvents(t, d2, "u", 10, "1")
	after := d2.stats()
	assert.Equal(t, before.TotalRequests+10, after.TotalRequests)
	assert.Equal(t, before.UniqueUsers, after.UniqueUsers)
}

// After SIGKILL at most one checkpoint interval is lost, and what is restored is one
// consistent cut: every event here has its own user and the value 1, so a torn or
// half-applied checkpoint would show totalRequests, uniqueUsers and sum disagreeing.
func TestRestartAfterSIGKILLRestoresAConsistentCut(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, "-data-dir", dir, "-checkpoint-interval", "200ms")
	sendEvents(t, d, "a", 2000, "1")
	require.Eventually(t, func() bool {
		return strings.Contains(d.logs.String(), `why=periodic`) && strings.Contains(d.logs.String(), "totalRequests=2000")
	}, 10*time.Second, 50*time.Millisecond, "a periodic checkpoint holds the first 2000 events")

	// Acknowledged but maybe not yet checkpointed when the daemon dies.
	sendEvents(t, d, "b", 3000, "1")
	require.NoError(t, d.cmd.Process.Kill())
	<-d.done

	d2 := startDaemon(t, "-data-dir", dir)
	st := d2.stats()
	assert.GreaterOrEqual(t, st.TotalRequests, int64(2000))
	assert.LessOrEqual(t, st.TotalRequests, int64(5000))
	assert.Equal(t, st.TotalRequests, st.UniqueUsers)
	assert.Equal(t, float64(st.TotalRequests), st.Sum)
}

func TestCorruptCheckpointFallsBackToThePreviousOne(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, "-data-dir", dir)
	sendEvents(t, d, "x", 100, "2")
	first := d.stats()
	require.Equal(t, 0, d.stop())

	d = startDaemon(t, "-data-dir", dir)
	sendEvents(t, d, "y", 50, "2")
	require.Equal(t, 0, d.stop())

	files, err := filepath.Glob(filepath.Join(dir, "onemrc-*.ckpt"))
	require.NoError(t, err)
	require.Len(t, files, 2)
	newest := files[len(files)-1] // names sort in write order
	data, err := os.ReadFile(newest)
	require.NoError(t, err)
	data[len(data)/2] ^= 0xff
	require.NoError(t, os.WriteFile(newest, data, 0o644))

	d = startDaemon(t, "-data-dir", dir)
	assert.Equal(t, first, d.stats())
	assert.Contains(t, d.logs.String(), "checkpoint skipped")

	// With no intact checkpoint left the daemon refuses to start rather than start empty.
	require.Equal(t, 0, d.stop())
	files, err = filepath.Glob(filepath.Join(dir, "onemrc-*.ckpt"))
	require.NoError(t, err)
	for _, f := range files {
		require.NoError(t, os.WriteFile(f, []byte("garbage"), 0o644))
	}
	out, err := exec.Command(daemonBin, "-addr", freePort(t), "-admin-addr", "", "-data-dir", dir).CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 1, exit.ExitCode())
	assert.Contains(t, string(out), "no intact checkpoint")
}

// Opening the data dir removes the temporary files of checkpoint writes a crash cut
// short (and says so), and nothing else.
func TestCheckpointTempFilesLeftByACrashAreRemoved(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, ".onemrc-2718281828.tmp")
	keep := filepath.Join(dir, ".onemrc-notes.tmp")
	for _, f := range []string{stale, keep} {
		require.NoError(t, os.WriteFile(f, []byte("half a checkpoint"), 0o644))
	}
	var logs strings.Builder
	_, ok, err := loadState(dir, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	assert.False(t, ok, "no checkpoint yet")
	assert.NoFileExists(t, stale)
	assert.FileExists(t, keep)
	assert.Contains(t, logs.String(), "removed a temporary checkpoint file")
	assert.Contains(t, logs.String(), stale)
}
