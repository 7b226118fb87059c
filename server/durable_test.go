package main

import (
	"bufio"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
	assert.Contains(t, d2.logs.String(), "log replayed")

	// Old users stay known; counting goes on from where it was.
	sendEvents(t, d2, "u", 10, "1")
	after := d2.stats()
	assert.Equal(t, before.TotalRequests+10, after.TotalRequests)
	assert.Equal(t, before.UniqueUsers, after.UniqueUsers)
}

// SIGKILL loses no acknowledged event, in any -fsync mode: every answer left only after
// its record was written. Every event here has its own user and the value 1, so a torn
// or half-applied record would show totalRequests, uniqueUsers and sum disagreeing.
func TestSIGKILLLosesNoAcknowledgedEvent(t *testing.T) {
	for _, mode := range []string{"always", "interval", "off"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			d := startDaemon(t, "-data-dir", dir, "-fsync", mode, "-loops", "2")
			sendEvents(t, d, "a"+mode, 2000, "1")
			sendEvents(t, d, "b"+mode, 3000, "1") // every one answered 200
			require.NoError(t, d.cmd.Process.Kill())
			<-d.done

			d2 := startDaemon(t, "-data-dir", dir, "-fsync", mode)
			st := d2.stats()
			assert.Equal(t, int64(5000), st.TotalRequests, "acknowledged events lost")
			assert.Equal(t, st.TotalRequests, st.UniqueUsers)
			assert.Equal(t, float64(st.TotalRequests), st.Sum)
		})
	}
}

// A log whose tail a crash tore (here: cut in the middle of its last record, and
// garbage appended) restores the records before the tear, says how much it cut, and
// the daemon goes on appending after it.
func TestTornLogTailRestoresAConsistentPrefix(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, "-data-dir", dir, "-loops", "1")
	for i := range 20 {
		sendEvents(t, d, "t"+strconv.Itoa(i)+"_", 50, "1") // 20 x 50 events, one record per answer batch at most
	}
	require.NoError(t, d.cmd.Process.Kill())
	<-d.done
	segs, err := filepath.Glob(filepath.Join(dir, "wal-*.log"))
	require.NoError(t, err)
	require.NotEmpty(t, segs)
	last := segs[len(segs)-1]
	info, err := os.Stat(last)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(last, info.Size()-7))
	f, err := os.OpenFile(last, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte("garbage after the tear"))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	d2 := startDaemon(t, "-data-dir", dir, "-loops", "1")
	st := d2.stats()
	assert.Less(t, st.TotalRequests, int64(1000), "the torn record is not restored")
	assert.Greater(t, st.TotalRequests, int64(0))
	assert.Equal(t, st.TotalRequests, st.UniqueUsers, "a record restores its events with their users")
	assert.Equal(t, float64(st.TotalRequests), st.Sum)
	assert.Contains(t, d2.logs.String(), "log tail torn or corrupt")
	sendEvents(t, d2, "after", 10, "1")
	require.Equal(t, 0, d2.stop())
	d3 := startDaemon(t, "-data-dir", dir, "-loops", "1")
	assert.Equal(t, st.TotalRequests+10, d3.stats().TotalRequests)
}

// A restart with the log replays in about the time it takes to read it (the figure for
// 10,000,000 users is in the README); the log line says what was restored and how long
// it took.
func TestRestartLogsWhatItRestored(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, "-data-dir", dir)
	sendEvents(t, d, "r", 500, "2")
	require.Equal(t, 0, d.stop())
	d2 := startDaemon(t, "-data-dir", dir)
	logs := d2.logs.String()
	assert.Contains(t, logs, "msg=restored")
	assert.Contains(t, logs, "totalRequests=500")
	assert.Contains(t, logs, "took=")
}

// Opening the data dir removes the temporary files of snapshot writes a crash cut
// short (and says so), and nothing else.
func TestCheckpointTempFilesLeftByACrashAreRemoved(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, ".onemrc-2718281828.tmp")
	keep := filepath.Join(dir, ".onemrc-notes.tmp")
	for _, f := range []string{stale, keep} {
		require.NoError(t, os.WriteFile(f, []byte("half a checkpoint"), 0o644))
	}
	var logs strings.Builder
	_, _, err := recoverStore(dir, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	assert.NoFileExists(t, stale)
	assert.FileExists(t, keep)
	assert.Contains(t, logs.String(), "removed a temporary checkpoint file")
	assert.Contains(t, logs.String(), stale)
}
