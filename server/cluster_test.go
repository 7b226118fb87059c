package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/internal/redistest"
)

// redisServer is a redis-server of the test's own (redistest.Server: a loopback port,
// no persistence unless a test asks, killed when the test ends), with what these tests
// read from it.
type redisServer struct {
	*redistest.Server
	t *testing.T
}

func startRedis(t *testing.T, extra ...string) *redisServer {
	t.Helper()
	return &redisServer{Server: redistest.Start(t, extra...), t: t}
}

type clusterView struct {
	stats
	Scope string `json:"scope"`
	Nodes int    `json:"nodes"`
	AgeMs int64  `json:"ageMs"`
}

func (d *testDaemon) clusterStats(t *testing.T) clusterView {
	code, body := d.get("/stats")
	require.Equal(t, 200, code, body)
	var s clusterView
	require.NoError(t, json.Unmarshal([]byte(body), &s), body)
	return s
}

// sendRange posts events i in [from, to) with user "user_"+i%users and value i%1000.
func sendRange(t *testing.T, d *testDaemon, from, to, users int) {
	t.Helper()
	c := d.dial()
	br := bufio.NewReader(c)
	for i := from; i < to; {
		n := min(to-i, 500)
		var buf []byte
		for j := i; j < i+n; j++ {
			buf = append(buf, eventRequest("user_"+strconv.Itoa(j%users), strconv.Itoa(j%1000))...)
		}
		_, err := c.Write(buf)
		require.NoError(t, err)
		requireOnlyOK(t, readResponses(t, br, n))
		i += n
	}
}

// waitCluster waits until every daemon reports the wanted cluster-wide figures.
func waitCluster(t *testing.T, want stats, ds ...*testDaemon) {
	t.Helper()
	for _, d := range ds {
		var last clusterView
		ok := assert.Eventually(t, func() bool {
			last = d.clusterStats(t)
			return last.stats == want
		}, 20*time.Second, 50*time.Millisecond)
		require.True(t, ok, "cluster stats %+v, want %+v", last, want)
		assert.Equal(t, "cluster", last.Scope)
		assert.Equal(t, len(ds), last.Nodes)
	}
}

func expected(events, users int) stats {
	sum := 0
	for i := range events {
		sum += i % 1000
	}
	return stats{TotalRequests: int64(events), UniqueUsers: int64(min(users, events)), Sum: float64(sum), Avg: float64(sum) / float64(events)}
}

func TestClusterOfTwoIsExact(t *testing.T) {
	r := startRedis(t)
	a := startDaemon(t, "-cluster", r.URL(), "-node-id", "a", "-flush-interval", "50ms")
	b := startDaemon(t, "-cluster", r.URL(), "-node-id", "b", "-flush-interval", "50ms")
	const events, users = 200_000, 75_000
	// Both daemons see every user: i%75000 over halves of 0..199999.
	var wg sync.WaitGroup
	for k, d := range []*testDaemon{a, b} {
		for part := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				lo := (k*4 + part) * events / 8
				sendRange(t, d, lo, lo+events/8, users)
			}()
		}
	}
	wg.Wait()
	waitCluster(t, expected(events, users), a, b)

	code, body := a.get("/stats?scope=local")
	require.Equal(t, 200, code)
	var local stats
	require.NoError(t, json.Unmarshal([]byte(body), &local))
	assert.Equal(t, int64(events/2), local.TotalRequests, "scope=local is the node's own")
}

func TestClusterSurvivesARedisRestart(t *testing.T) {
	r := startRedis(t)
	adminA := freePort(t)
	a := startDaemon(t, "-cluster", r.URL(), "-node-id", "a", "-flush-interval", "50ms", "-admin-addr", adminA)
	b := startDaemon(t, "-cluster", r.URL(), "-node-id", "b", "-flush-interval", "50ms")
	sendRange(t, a, 0, 20_000, 30_000)
	sendRange(t, b, 20_000, 40_000, 30_000)
	waitCluster(t, expected(40_000, 30_000), a, b)

	r.Stop() // Redis goes away, with all its data; the daemons keep serving.
	sendRange(t, a, 40_000, 50_000, 30_000)
	sendRange(t, b, 50_000, 60_000, 30_000)
	require.Eventually(t, func() bool {
		failed, _ := find(scrape(t, adminA), "onemrc_cluster_flushes_total", "result", "failed")
		return failed > 0
	}, 10*time.Second, 50*time.Millisecond, "failed flushes are counted")
	r.Restart()
	sendRange(t, a, 60_000, 70_000, 30_000)
	waitCluster(t, expected(70_000, 30_000), a, b)
	fams := scrape(t, adminA)
	assert.Zero(t, value(t, fams, "onemrc_cluster_backlog_users"), "the backlog drained")
	assert.Less(t, value(t, fams, "onemrc_cluster_seconds_since_flush"), 5.0)
}

func TestClusterNodeRestartedFromCheckpointDoublesNothing(t *testing.T) {
	r := startRedis(t)
	dir := t.TempDir()
	a := startDaemon(t, "-cluster", r.URL(), "-node-id", "a", "-flush-interval", "50ms", "-data-dir", dir)
	b := startDaemon(t, "-cluster", r.URL(), "-node-id", "b", "-flush-interval", "50ms")
	sendRange(t, a, 0, 10_000, 8_000)
	sendRange(t, b, 10_000, 20_000, 8_000)
	waitCluster(t, expected(20_000, 8_000), a, b)

	// Killed: its log holds every event it acknowledged (all of them here); Redis holds
	// the same totals. The restart doubles nothing.
	require.NoError(t, a.cmd.Process.Kill())
	<-a.done
	a = startDaemon(t, "-cluster", r.URL(), "-node-id", "a", "-flush-interval", "50ms", "-data-dir", dir)
	sendRange(t, a, 20_000, 25_000, 8_000)
	waitCluster(t, expected(25_000, 8_000), a, b)

	// A graceful stop and restart doubles nothing either.
	require.Equal(t, 0, a.stop())
	a = startDaemon(t, "-cluster", r.URL(), "-node-id", "a", "-flush-interval", "50ms", "-data-dir", dir)
	sendRange(t, b, 25_000, 30_000, 8_000)
	waitCluster(t, expected(30_000, 8_000), a, b)
}

// A data dir belongs to one node id: starting it under another is refused, and starting
// it without -node-id takes the id it holds.
func TestDataDirKeepsItsNodeID(t *testing.T) {
	r := startRedis(t)
	dir := t.TempDir()
	a := startDaemon(t, "-cluster", r.URL(), "-node-id", "a", "-data-dir", dir)
	sendRange(t, a, 0, 100, 100)
	require.Equal(t, 0, a.stop())

	out, err := exec.Command(daemonBin, "-addr", freePort(t), "-admin-addr", "", "-cluster", r.URL(),
		"-node-id", "b", "-data-dir", dir).CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "%s", out)
	assert.Equal(t, 1, exit.ExitCode())
	assert.Contains(t, string(out), `holds the state of node \"a\"`)

	again := startDaemon(t, "-cluster", r.URL(), "-data-dir", dir)
	assert.Contains(t, again.logs.String(), "node=a")
}

// clusterUsers is the cluster's user count as Redis holds it: the sum of its 256 user
// shards' cardinalities.
func (r *redisServer) clusterUsers() int {
	n := 0
	for s := range 256 {
		line := r.Do("SCARD", fmt.Sprintf("{onemrc:u:%02x}:users", s))
		c, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, ":")))
		require.NoError(r.t, err, line)
		n += c
	}
	return n
}

// Flush sequence numbers are the node's own count, continued from the one Redis holds
// under its id: a stored one from a clock an hour ahead (older daemons used the clock)
// costs nothing, and a flush refused as stale (a newer one landed meanwhile: here the
// test writes it) is counted as failed, said, and followed by one that lands.
func TestClusterSeqDoesNotTrustTheClock(t *testing.T) {
	r := startRedis(t)
	ahead := time.Now().Add(time.Hour).UnixNano()
	r.Do("HSET", "{onemrc}:node:a", "seq", strconv.FormatInt(ahead, 10))
	r.Do("HSET", "{onemrc}:node:b", "seq", "9000000000000000000")

	admin := freePort(t)
	a := startDaemon(t, "-cluster", r.URL(), "-node-id", "a", "-flush-interval", "20ms", "-admin-addr", admin)
	sendRange(t, a, 0, 100, 10)
	require.Eventually(t, func() bool {
		s := a.clusterStats(t)
		return s.Nodes == 1 && s.TotalRequests == 100 && s.UniqueUsers == 10
	}, 10*time.Second, 20*time.Millisecond)
	assert.Zero(t, value(t, scrape(t, admin), "onemrc_cluster_flushes_total", "result", "failed"), "no flush refused")
	stored, err := strconv.ParseInt(r.Do("HGET", "{onemrc}:node:a", "seq"), 10, 64)
	require.NoError(t, err)
	assert.Greater(t, stored, ahead, "counted up from the stored one")

	// A flush of this id with a higher seq lands behind the node's back.
	r.Do("HSET", "{onemrc}:node:a", "seq", strconv.FormatInt(stored+1000, 10), "count", "7")
	sendRange(t, a, 100, 200, 10)
	require.Eventually(t, func() bool {
		return r.Do("HGET", "{onemrc}:node:a", "count") == "200"
	}, 10*time.Second, 20*time.Millisecond)
	assert.Positive(t, value(t, scrape(t, admin), "onemrc_cluster_flushes_total", "result", "failed"), "the refused flush is no success")
	assert.Contains(t, a.logs.String(), "redis holds a newer flush")

	// A stored seq beyond any the node could count up from is refused at start, named.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a daemon that starts is killed
	defer cancel()
	b := exec.CommandContext(ctx, daemonBin, "-addr", freePort(t), "-admin-addr", "", "-cluster", r.URL(), "-node-id", "b")
	out, err := b.CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), `stored flush seq \"9000000000000000000\" outside`)
}

// Redis restarted from a snapshot taken mid-run (an RDB a few seconds old, or a replica
// that lagged) has lost users added since, without losing its epoch: each node finds
// its marks in the shards older than its own, resends those shards from its store, and
// within seconds every node is exact again.
func TestClusterRedisRolledBackToAnOlderSnapshot(t *testing.T) {
	r := startRedis(t) // in a directory of its own, where SAVE writes and a restart reads
	adminA := freePort(t)
	a := startDaemon(t, "-cluster", r.URL(), "-node-id", "a", "-flush-interval", "50ms", "-admin-addr", adminA)
	b := startDaemon(t, "-cluster", r.URL(), "-node-id", "b", "-flush-interval", "50ms")
	sendRange(t, a, 0, 10_000, 10_000)
	sendRange(t, b, 10_000, 20_000, 20_000)
	waitCluster(t, expected(20_000, 20_000), a, b)
	require.Equal(t, "OK", strings.TrimSpace(strings.TrimPrefix(r.Do("SAVE"), "+")))

	// 30,000 users more, every one of them new, then Redis goes back to the snapshot.
	sendRange(t, a, 20_000, 35_000, 50_000)
	sendRange(t, b, 35_000, 50_000, 50_000)
	waitCluster(t, expected(50_000, 50_000), a, b)
	r.Restart()
	require.Less(t, r.clusterUsers(), 50_000, "the snapshot lacks the newer users")

	start := time.Now()
	want := expected(50_000, 50_000)
	for _, d := range []*testDaemon{a, b} {
		require.Eventually(t, func() bool { return d.clusterStats(t).stats == want }, 5*time.Second, 20*time.Millisecond,
			"every node exact within 5 s of the rollback")
	}
	t.Logf("exact on both nodes %v after the restart", time.Since(start).Round(time.Millisecond))
	require.Eventually(t, func() bool { return r.clusterUsers() == 50_000 }, 5*time.Second, 20*time.Millisecond)
	assert.Positive(t, value(t, scrape(t, adminA), "onemrc_cluster_rollbacks_total"))
	assert.Contains(t, a.logs.String(), "redis lost users this node had written")
}

// Redis comes back empty and a node that never ran joins before the old one's next
// flush: it must not lock the old node out with a seed of its own. Its seed is
// provisional until the old node rejoins with the seed its users are keyed by; the new
// node then takes that one, and both stay exact.
func TestClusterFreshNodeJoiningAnEmptiedRedis(t *testing.T) {
	r := startRedis(t)
	// A flush every second: the fresh node joins well before the old one notices.
	a := startDaemon(t, "-cluster", r.URL(), "-node-id", "a", "-flush-interval", "1s")
	sendRange(t, a, 0, 5_000, 3_000)
	require.Eventually(t, func() bool { return r.clusterUsers() == 3_000 }, 10*time.Second, 20*time.Millisecond)

	r.Restart()
	b := startDaemon(t, "-cluster", r.URL(), "-node-id", "b", "-flush-interval", "1s")
	assert.Contains(t, b.logs.String(), "provisional user-hash seed", "b waited for older nodes")
	sendRange(t, b, 5_000, 10_000, 6_000)
	sendRange(t, a, 10_000, 12_000, 6_000)
	waitCluster(t, expected(12_000, 6_000), a, b)
	assert.NotContains(t, a.logs.String(), "another user-hash seed")
}

// On a Redis Cluster of three masters, daemons each given a different master find the
// slots' owners themselves (a plain client answered "MOVED" here), spread the user
// shards over every master, and agree exactly.
func TestClusterOnARedisClusterOfThreeMasters(t *testing.T) {
	rc := redistest.StartCluster(t, 3)
	var ds []*testDaemon
	for i, addr := range rc.Addrs() {
		ds = append(ds, startDaemon(t, "-cluster", "redis://"+addr+"/0", "-node-id", "n"+strconv.Itoa(i), "-flush-interval", "50ms"))
	}
	for i, d := range ds {
		sendRange(t, d, i*10_000, (i+1)*10_000, 25_000)
	}
	waitCluster(t, expected(30_000, 25_000), ds...)
	for i := range rc.Addrs() {
		keys, err := strconv.Atoi(rc.Node(i).Do("DBSIZE"))
		require.NoError(t, err)
		assert.Greater(t, keys, 50, "master %d holds its share of the 512 shard keys", i)
	}
}

// Behind Sentinel: the daemons ask the sentinel for the master, and follow it when the
// master dies and the sentinel promotes its replica; both stay exact.
func TestClusterBehindSentinelFollowsAFailover(t *testing.T) {
	master := redistest.Start(t)
	replica := redistest.Start(t, "--replicaof", "127.0.0.1", strings.Split(master.Addr(), ":")[1])
	sentinel := redistest.StartSentinel(t, master, "main")
	url := "redis-sentinel://" + sentinel.Addr() + "/0?master=main"
	a := startDaemon(t, "-cluster", url, "-node-id", "a", "-flush-interval", "50ms")
	b := startDaemon(t, "-cluster", url, "-node-id", "b", "-flush-interval", "50ms")
	sendRange(t, a, 0, 5_000, 12_000)
	sendRange(t, b, 5_000, 10_000, 12_000)
	waitCluster(t, expected(10_000, 12_000), a, b)
	require.Eventually(t, func() bool { return strings.Contains(replica.Do("INFO", "replication"), "master_link_status:up") },
		10*time.Second, 50*time.Millisecond)

	master.Stop()
	sendRange(t, a, 10_000, 12_000, 12_000)
	sendRange(t, b, 12_000, 14_000, 12_000)
	require.Eventually(t, func() bool { return strings.Contains(replica.Do("INFO", "replication"), "role:master") },
		30*time.Second, 100*time.Millisecond, "the sentinel promotes the replica")
	waitCluster(t, expected(14_000, 12_000), a, b)
}

// Redis is SIGKILLed at a random moment while two nodes take load, and comes back from
// the last snapshot it wrote (one a second): it lost whatever came after, at an instant
// nobody chose. Every acknowledged event and user is there again on both nodes.
func TestClusterRedisKilledAtARandomMomentUnderLoad(t *testing.T) {
	snapshotEverySecond := []string{"--save", "1 1"}
	r := startRedis(t, snapshotEverySecond...)
	a := startDaemon(t, "-cluster", r.URL(), "-node-id", "a", "-flush-interval", "20ms")
	b := startDaemon(t, "-cluster", r.URL(), "-node-id", "b", "-flush-interval", "20ms")
	const events, users, chunk = 200_000, 60_000, 2_000

	killAt := time.Duration(100+rand.IntN(1400)) * time.Millisecond
	killed := make(chan struct{})
	go func() {
		time.Sleep(killAt)
		r.Stop() // SIGKILL: no final save
		close(killed)
	}()
	start := time.Now()
	for i := 0; i < events; i += chunk {
		d := a
		if i/chunk%2 == 1 {
			d = b
		}
		sendRange(t, d, i, i+chunk, users)
		if i == events/2 {
			<-killed // half the load before the kill at the latest, half after at least
			r.Restart(snapshotEverySecond...)
		}
	}
	t.Logf("Redis killed %v into the load of %v; at the end of the load it held %d of %d users",
		killAt, time.Since(start).Round(time.Millisecond), r.clusterUsers(), users)
	waitCluster(t, expected(events, users), a, b)
	require.Eventually(t, func() bool { return r.clusterUsers() == users }, 10*time.Second, 20*time.Millisecond)
}

// A cluster node with a data dir is SIGKILLed at a random moment while it takes load,
// and restarted on its data dir. What it acknowledged survives, nothing is counted twice,
// and the cluster's figures are its own log's plus the other node's, exactly: no matter
// what the killed process had flushed to Redis before it died.
func TestClusterNodeKilledAtARandomMomentUnderLoad(t *testing.T) {
	r := startRedis(t)
	dir := t.TempDir()
	aArgs := []string{"-cluster", r.URL(), "-node-id", "a", "-flush-interval", "20ms", "-data-dir", dir, "-fsync", "always"}
	a := startDaemon(t, aArgs...)
	b := startDaemon(t, "-cluster", r.URL(), "-node-id", "b", "-flush-interval", "20ms")
	const users = 5_000

	// a takes events 0, 1, 2, ... on one connection, 100 pipelined at a time, until it dies.
	killAt := time.Duration(100+rand.IntN(700)) * time.Millisecond
	go func() {
		time.Sleep(killAt)
		_ = a.cmd.Process.Kill()
	}()
	acked := 0
	c := a.dial()
	br := bufio.NewReader(c)
	for alive := true; alive; {
		var buf []byte
		for j := acked; j < acked+100; j++ {
			buf = append(buf, eventRequest("user_"+strconv.Itoa(j%users), strconv.Itoa(j%1000))...)
		}
		if _, err := c.Write(buf); err != nil {
			break
		}
		for range 100 {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				alive = false
				break
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			require.Equal(t, 200, resp.StatusCode)
			acked++
		}
	}
	c.Close()
	<-a.done
	require.Positive(t, acked)

	// b's events: other users, values 1..1000.
	bc := b.dial()
	bbr := bufio.NewReader(bc)
	var bbuf []byte
	for j := range 1_000 {
		bbuf = append(bbuf, eventRequest("b_"+strconv.Itoa(j), strconv.Itoa(j+1))...)
	}
	_, err := bc.Write(bbuf)
	require.NoError(t, err)
	requireOnlyOK(t, readResponses(t, bbr, 1_000))
	bc.Close()

	a = startDaemon(t, aArgs...)
	code, body := a.get("/stats?scope=local")
	require.Equal(t, 200, code)
	var local stats
	require.NoError(t, json.Unmarshal([]byte(body), &local))
	n := int(local.TotalRequests)
	t.Logf("killed %v in: %d events acknowledged, %d restored from the log", killAt, acked, n)
	require.GreaterOrEqual(t, n, acked, "every acknowledged event survives")
	require.Equal(t, expected(n, users), local, "the log holds a prefix of the connection's events, once each")

	want := expected(n, users)
	want.TotalRequests += 1_000
	want.UniqueUsers += 1_000
	want.Sum += 1_000 * 1_001 / 2
	want.Avg = want.Sum / float64(want.TotalRequests)
	waitCluster(t, want, a, b)
}
