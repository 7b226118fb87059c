package main

import (
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A second live daemon under one node id is refused at start (exit 1, saying so) once it
// has waited out a lease, and the first keeps flushing, exactly.
func TestLeaseSecondDaemonWithOneIDExits1(t *testing.T) {
	r := startRedis(t)
	adminA := freePort(t)
	a := startDaemon(t, "-cluster", r.URL(), "-node-id", "a", "-flush-interval", "20ms", "-admin-addr", adminA)
	b := startDaemon(t, "-cluster", r.URL(), "-node-id", "b", "-flush-interval", "20ms")
	sendRange(t, a, 0, 1_000, 500)

	var (
		out  []byte
		err  error
		took time.Duration
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		out, err = exec.Command(daemonBin, "-addr", freePort(t), "-admin-addr", "", "-cluster", r.URL(),
			"-node-id", "a", "-flush-interval", "20ms").CombinedOutput()
		took = time.Since(start)
	}()
	sendRange(t, a, 1_000, 3_000, 500) // meanwhile a goes on
	wg.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "%s", out)
	assert.Equal(t, 1, exit.ExitCode())
	assert.Contains(t, string(out), `node id \"a\" is held by another live daemon (lease expires in `)
	assert.Contains(t, string(out), `give this daemon another -node-id or stop the other`)
	assert.Contains(t, string(out), "waiting for its lease to expire")
	assert.Greater(t, took, 5*time.Second, "it waited out a lease's TTL first")

	sendRange(t, b, 3_000, 4_000, 500)
	waitCluster(t, expected(4_000, 500), a, b)
	fams := scrape(t, adminA)
	assert.Zero(t, value(t, fams, "onemrc_cluster_flushes_total", "result", "failed"))
	assert.Zero(t, value(t, fams, "onemrc_cluster_lease_lost"))
	assert.Equal(t, "3000", r.Do("HGET", "{onemrc}:node:a", "count"))
}

// A daemon killed and restarted under its id waits out its old lease and comes back.
func TestLeaseRestartAfterKill(t *testing.T) {
	r := startRedis(t)
	a := startDaemon(t, "-cluster", r.URL(), "-node-id", "a", "-flush-interval", "20ms")
	sendRange(t, a, 0, 1_000, 100)
	// Killed once Redis holds every event (the restart below has no data dir: it
	// continues from what Redis holds).
	require.Eventually(t, func() bool { return r.Do("HGET", "{onemrc}:node:a", "count") == "1000" },
		10*time.Second, 20*time.Millisecond)
	require.NoError(t, a.cmd.Process.Kill())
	<-a.done

	start := time.Now()
	a = startDaemon(t, "-cluster", r.URL(), "-node-id", "a", "-flush-interval", "20ms")
	assert.Less(t, time.Since(start), 5*time.Second+time.Second+3*time.Second, "back within the TTL and the margin")
	assert.Contains(t, a.logs.String(), "waiting for its lease to expire")
	sendRange(t, a, 1_000, 1_500, 100)
	require.Eventually(t, func() bool {
		s := a.clusterStats(t)
		return s.TotalRequests == 1_500 && s.Nodes == 1
	}, 10*time.Second, 20*time.Millisecond)
}

// A node whose lease another process took (here the test, writing the key) stops
// flushing, says so loudly once, and exposes it.
func TestLeaseOverwrittenStopsFlushing(t *testing.T) {
	r := startRedis(t)
	adminA := freePort(t)
	a := startDaemon(t, "-cluster", r.URL(), "-node-id", "a", "-flush-interval", "20ms", "-admin-addr", adminA)
	sendRange(t, a, 0, 100, 10)
	require.Eventually(t, func() bool { return a.clusterStats(t).Nodes == 1 }, 10*time.Second, 20*time.Millisecond)
	assert.Zero(t, value(t, scrape(t, adminA), "onemrc_cluster_lease_lost"))

	require.Equal(t, "OK", r.Do("SET", "{onemrc}:lease:a", "intruder", "PX", "60000"))
	require.Eventually(t, func() bool { return value(t, scrape(t, adminA), "onemrc_cluster_lease_lost") == 1 },
		10*time.Second, 20*time.Millisecond)
	sendRange(t, a, 100, 200, 10)
	failed := value(t, scrape(t, adminA), "onemrc_cluster_flushes_total", "result", "failed")
	require.Eventually(t, func() bool {
		return value(t, scrape(t, adminA), "onemrc_cluster_flushes_total", "result", "failed") > failed
	}, 10*time.Second, 20*time.Millisecond, "every flush fails")
	assert.Equal(t, "100", r.Do("HGET", "{onemrc}:node:a", "count"), "nothing written since")
	assert.Equal(t, 10, r.clusterUsers())
	code, body := a.get("/health")
	assert.Equal(t, 200, code, "still alive: it counts and answers")
	assert.Contains(t, body, `"status":"degraded"`)
	assert.Contains(t, body, "lease lost")
	assert.Equal(t, 1, strings.Count(a.logs.String(), "ANOTHER PROCESS TOOK THIS NODE'S ID"), "logged once")
	assert.Equal(t, 0, a.stop())
	assert.Contains(t, a.logs.String(), "last cluster flush failed")
	assert.Equal(t, "intruder", r.Do("GET", "{onemrc}:lease:a"), "Close keeps the intruder's lease")
}
