package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
	"github.com/onemrc/onemrc/benchmarks/internal/thousands"
)

// Targets of the resync scenario.
const (
	resyncTarget  = 30 * time.Second      // a node resends 10M users within this
	pingTarget    = 50 * time.Millisecond // and no other client of Redis waits longer
	resyncRSSTick = 50 * time.Millisecond // how often the node's RSS is sampled
)

// resyncRound is one restart of Redis, empty, and the node's resync that follows.
type resyncRound struct {
	sinceUp   time.Duration // from the new Redis's first PONG to every user back
	sinceKill time.Duration // from the SIGKILL of the old one
	ping      pingStats
	bytes     int64 // what the node sent Redis meanwhile (total_net_input_bytes minus ours)
	peakRSS   int64 // the node's
	nodeCPU   time.Duration
	redisCPU  float64 // seconds, used_cpu_user + used_cpu_sys
	saddUsec  int64   // INFO commandstats: time Redis spent in SADD (inside the scripts)
	redisMem  int64   // used_memory with every user back
}

// runResync loads one cluster node with o.ResyncUsers users, waits for Redis to hold
// them, then restarts Redis empty o.Rounds times and measures each resync.
func runResync(ctx context.Context, b *bench, o options) (err error) {
	srv, addr, mon := b.redis, b.redis.addr, b.redisClient
	info, err := redisInfo(ctx, mon, "memory")
	if err != nil {
		return err
	}
	emptyMem := infoInt(info, "used_memory")

	admin, err := onemrcd.FreeLoopbackAddr()
	if err != nil {
		return err
	}
	d, err := onemrcd.Start(ctx, b.daemon, []string{"-cluster", "redis://" + addr + "/0", "-node-id", "resync-bench",
		"-admin-addr", admin}, filepath.Join(b.tmp, "onemrcd.log"))
	if err != nil {
		return err
	}
	defer func() {
		if serr := d.Stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	users := int64(o.ResyncUsers)

	fmt.Printf("redis-server pid %d on %s, onemrcd pid %d on %s (admin %s)\n", srv.pid(), addr, d.PID(), d.Addr, admin)
	if err := fill(ctx, b, o, mon, d, admin, emptyMem); err != nil {
		return err
	}

	var rounds []resyncRound
	for r := range o.Rounds {
		fmt.Printf("round %d: SIGKILL redis-server (pid %d), start it again empty on %s\n", r+1, srv.pid(), addr)
		round, err := resyncOnce(ctx, srv, d, admin, users, o)
		if err != nil {
			return fmt.Errorf("round %d: %w", r+1, err)
		}
		rounds = append(rounds, round)
		fmt.Printf("round %d: every user back %.2f s after Redis answered (%.2f s after the kill); worst PING %.1f ms at +%.1f s\n\n",
			r+1, round.sinceUp.Seconds(), round.sinceKill.Seconds(), ms(round.ping.lat.Max()), round.ping.worstAt.Seconds())
	}
	table, ok := resyncTable(rounds, users, emptyMem)
	fmt.Print(table)
	if !ok {
		return errors.New("a target was missed")
	}
	return nil
}

// fill loads the node with o.ResyncUsers users, one event each, as the 10M-user scale
// run of benchmarks/README.md sends them, and waits until Redis holds every one.
func fill(ctx context.Context, b *bench, o options, mon *redis.Client, d *onemrcd.Daemon, admin string, emptyMem int64) error {
	users := int64(o.ResyncUsers)
	fmt.Printf("loading %s users: challenge -n %d -users %d -c %d -pipeline 16\n", thousands.Int(users), users, users, o.Conns)
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() { watch(watchCtx, mon, d, admin); close(watched) }()
	load, out, err := runChallenge(ctx, b.runner, filepath.Join(b.tmp, "load.json"), "-addr", d.Addr, "-pid", strconv.Itoa(d.PID()),
		"-n", strconv.FormatInt(users, 10), "-users", strconv.FormatInt(users, 10), "-c", strconv.Itoa(o.Conns),
		"-pipeline", "16", "-timeout", "10m")
	stopWatch()
	<-watched
	if err != nil {
		return err
	}
	if !load.Pass {
		return fmt.Errorf("the load failed: %v\n%s", load.Failures, out)
	}
	fmt.Printf("loaded in %.1f s (%.0f req/s, server peak RSS %.0f MiB); waiting for Redis to hold every user\n",
		load.Load.Seconds, load.Load.ReqPerSec, mib(load.Server.PeakRSSBytes))
	behind, err := converge(ctx, mon, d, admin, users, o.ResyncTimeout)
	if err != nil {
		return err
	}
	info, err := redisInfo(ctx, mon, "memory", "stats")
	if err != nil {
		return err
	}
	encoding, err := mon.ObjectEncoding(ctx, shardKey(0)).Result()
	if err != nil {
		return err
	}
	fullMem := infoInt(info, "used_memory")
	rss, _ := procstat.Read(d.PID())
	fmt.Printf("Redis held every user %.1f s after the load ended: used_memory %.1f MiB (empty: %.2f MiB), %.1f bytes per user; "+
		"set encoding %s; %.1f MB received in all, this program's polls included (%.1f bytes per user); node RSS %.0f MiB\n\n",
		behind.Seconds(), mib(fullMem), mib(emptyMem), float64(fullMem-emptyMem)/float64(users), encoding,
		float64(infoInt(info, "total_net_input_bytes"))/1e6, float64(infoInt(info, "total_net_input_bytes"))/float64(users), mib(rss.RSS))
	return nil
}

// resyncOnce restarts Redis empty and measures the node's resync until Redis holds every
// user again.
func resyncOnce(ctx context.Context, srv *redisServer, d *onemrcd.Daemon, admin string, users int64, o options) (resyncRound, error) {
	var r resyncRound
	killed := time.Now()
	if err := srv.restart(ctx); err != nil {
		return r, err
	}
	up := time.Now()
	before, err := procstat.Read(d.PID())
	if err != nil {
		return r, err
	}

	// Every byte this program sends the new Redis is counted, to be taken off its total.
	var ours atomic.Int64
	mon := newRedisClient(srv.addr, &ours)
	defer mon.Close()
	probeCtx, stopProbes := context.WithCancel(ctx)
	defer stopProbes()
	pings := make(chan pingStats, 1)
	go func() { pings <- probePing(probeCtx, srv.addr, o.PingEvery, &ours) }()
	rss := make(chan int64, 1)
	go func() { rss <- peakRSS(probeCtx, d.PID(), resyncRSSTick) }()

	took, err := converge(ctx, mon, d, admin, users, o.ResyncTimeout)
	stopProbes()
	r.ping, r.peakRSS = <-pings, <-rss
	if err != nil {
		return r, err
	}
	r.sinceUp, r.sinceKill = took, up.Sub(killed)+took
	info, err := redisInfo(ctx, mon, "stats", "memory", "cpu", "commandstats")
	if err != nil {
		return r, err
	}
	after, err := procstat.Read(d.PID())
	if err != nil {
		return r, err
	}
	r.bytes = infoInt(info, "total_net_input_bytes") - ours.Load()
	r.nodeCPU = after.CPU - before.CPU
	r.redisCPU = infoFloat(info, "used_cpu_user") + infoFloat(info, "used_cpu_sys")
	r.saddUsec, _ = commandUsec(info, "sadd")
	r.redisMem = infoInt(info, "used_memory")
	return r, nil
}

// converge polls, every 100 ms, how many users Redis holds and the node's /stats until
// both read want users, printing a line a second, and returns how long that took. It
// gives up after limit.
func converge(ctx context.Context, mon *redis.Client, d *onemrcd.Daemon, admin string, want int64, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for line := time.Second; ; {
		inRedis, unique, err := observe(ctx, mon, d)
		took := time.Since(start)
		if err == nil && inRedis == want && unique == want {
			return took, nil
		}
		if took >= line {
			line += time.Second
			printProgress(ctx, took, inRedis, unique, admin)
		}
		select {
		case <-ctx.Done():
			return took, fmt.Errorf("after %v Redis holds %s of %s users (last error: %v)", limit, thousands.Int(inRedis), thousands.Int(want), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// watch prints a progress line a second until ctx ends: how the node keeps up while it
// is loaded.
func watch(ctx context.Context, mon *redis.Client, d *onemrcd.Daemon, admin string) {
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		inRedis, unique, _ := observe(ctx, mon, d)
		printProgress(ctx, time.Since(start), inRedis, unique, admin)
	}
}

// observe reads how many users Redis holds and how many the node's /stats counts.
func observe(ctx context.Context, mon *redis.Client, d *onemrcd.Daemon) (inRedis, unique int64, err error) {
	inRedis, err = clusterUsers(ctx, mon)
	st, _, serr := getStats(ctx, d.Addr)
	return inRedis, int64(st.UniqueUsers), errors.Join(err, serr)
}

// printProgress prints one line: Redis, /stats and the node's flusher as its metrics
// tell it.
func printProgress(ctx context.Context, took time.Duration, inRedis, unique int64, admin string) {
	fmt.Printf("  %5.1f s  redis %11s users  /stats uniqueUsers %11s  %s\n", took.Seconds(), thousands.Int(inRedis), thousands.Int(unique), flusherMetrics(ctx, admin))
}

// flusherMetrics describes the node's flusher as its metrics tell it.
func flusherMetrics(ctx context.Context, admin string) string {
	body, err := httpGet(ctx, "http://"+admin+"/metrics")
	if err != nil {
		return "metrics: " + err.Error()
	}
	value := func(name string) int64 {
		v, _ := parseMetric(body, name)
		return int64(v)
	}
	return fmt.Sprintf("backlog_users %s  resync_shards %d  rollbacks_total %d  flushes ok %d failed %d",
		thousands.Int(value("onemrc_cluster_backlog_users")), value("onemrc_cluster_resync_shards"), value("onemrc_cluster_rollbacks_total"),
		value(`onemrc_cluster_flushes_total{result="ok"}`), value(`onemrc_cluster_flushes_total{result="failed"}`))
}

// resyncTable lays the rounds out beside their median and the targets; ok is false when
// a round missed one.
func resyncTable(rounds []resyncRound, users, emptyMem int64) (string, bool) {
	header := []string{"measure"}
	for i := range rounds {
		header = append(header, fmt.Sprintf("round %d", i+1))
	}
	header = append(header, "median", "target", "result")
	ok := true
	var rows [][]string
	row := func(name, format string, f func(resyncRound) float64, target float64, targetText string) {
		cells := []string{name}
		var vals []float64
		for _, r := range rounds {
			vals = append(vals, f(r))
			cells = append(cells, fmt.Sprintf(format, f(r)))
		}
		cells = append(cells, fmt.Sprintf(format, median(vals, func(v float64) float64 { return v })))
		if target == 0 {
			rows = append(rows, append(cells, "", ""))
			return
		}
		pass := slices.Max(vals) <= target
		ok = ok && pass
		rows = append(rows, append(cells, targetText, verdict(pass)))
	}
	perUser := func(v float64) float64 { return v / float64(users) }
	row("every user back after Redis is up, s", "%.2f", func(r resyncRound) float64 { return r.sinceUp.Seconds() }, resyncTarget.Seconds(), "<= 30")
	row("every user back after the kill, s", "%.2f", func(r resyncRound) float64 { return r.sinceKill.Seconds() }, 0, "")
	row("worst PING, ms", "%.1f", func(r resyncRound) float64 { return ms(r.ping.lat.Max()) }, ms(int64(pingTarget)), "<= 50")
	row("p99 PING, ms", "%.2f", func(r resyncRound) float64 { return ms(r.ping.lat.Percentile(99)) }, 0, "")
	row("p50 PING, ms", "%.2f", func(r resyncRound) float64 { return ms(r.ping.lat.Percentile(50)) }, 0, "")
	row("PINGs answered", "%.0f", func(r resyncRound) float64 { return float64(r.ping.lat.Count()) - float64(r.ping.errors) }, 0, "")
	row("PINGs failed", "%.0f", func(r resyncRound) float64 { return float64(r.ping.errors) }, 0, "")
	row("bytes node -> Redis, MB", "%.1f", func(r resyncRound) float64 { return float64(r.bytes) / 1e6 }, 0, "")
	row("bytes node -> Redis per user", "%.2f", func(r resyncRound) float64 { return perUser(float64(r.bytes)) }, 0, "")
	row("node peak RSS, MiB", "%.0f", func(r resyncRound) float64 { return mib(r.peakRSS) }, 0, "")
	row("node CPU, s", "%.2f", func(r resyncRound) float64 { return r.nodeCPU.Seconds() }, 0, "")
	row("Redis CPU, s", "%.2f", func(r resyncRound) float64 { return r.redisCPU }, 0, "")
	row("Redis CPU per user, µs", "%.3f", func(r resyncRound) float64 { return perUser(r.redisCPU * 1e6) }, 0, "")
	row("Redis time in SADD per user, µs", "%.3f", func(r resyncRound) float64 { return perUser(float64(r.saddUsec)) }, 0, "")
	row("Redis used_memory after, MiB", "%.1f", func(r resyncRound) float64 { return mib(r.redisMem) }, 0, "")
	row("used_memory per user, bytes", "%.1f", func(r resyncRound) float64 { return perUser(float64(r.redisMem - emptyMem)) }, 0, "")
	return formatTable(header, rows), ok
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func ms(ns int64) float64 { return float64(ns) / 1e6 }
