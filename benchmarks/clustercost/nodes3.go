package main

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
)

// nodes3CPUTarget bounds the CPU per request of three cluster nodes against three
// daemons alone.
const nodes3CPUTarget = 1.10

// nodesPerRun is how many daemons share the load.
const nodesPerRun = 3

// nodes3Run is one run of the load split over three daemons, alone or in cluster mode.
type nodes3Run struct {
	reqPerSec float64 // every request over the wall time of the three loads
	cpuPerReq float64 // the daemons' utime+stime over every request, seconds
	stats     []string
	redis     redisCost // cluster mode only
}

// redisCost is what Redis spent on a cluster run, from INFO over the same window as the
// daemons' CPU.
type redisCost struct {
	cpu     float64 // seconds, used_cpu_user + used_cpu_sys
	bytesIn int64   // total_net_input_bytes
	evalsha int64   // script calls: totals, user writes and shard checks
	sadds   int64   // SADD commands inside them
}

// readRedisCost reads the counters redisCost is made of; CONFIG RESETSTAT zeroes all
// but the CPU.
func readRedisCost(ctx context.Context, rdb *redis.Client) (redisCost, error) {
	info, err := redisInfo(ctx, rdb, "cpu", "stats", "commandstats")
	if err != nil {
		return redisCost{}, err
	}
	c := redisCost{cpu: infoFloat(info, "used_cpu_user") + infoFloat(info, "used_cpu_sys"), bytesIn: infoInt(info, "total_net_input_bytes")}
	_, c.evalsha = commandUsec(info, "evalsha")
	_, c.sadds = commandUsec(info, "sadd")
	return c, nil
}

// runNodes3 alternates three daemons alone and three cluster nodes on one Redis (emptied
// first) for -rounds rounds, each daemon loaded by its own challenge client at once.
func runNodes3(ctx context.Context, b *bench, o options) error {
	addr, rdb := b.redis.addr, b.redisClient
	fmt.Printf("%d daemons, each loaded at once by its own client: -n %d -users %d -c %d\n\n", nodesPerRun, o.N, o.Users, o.Conns/nodesPerRun)
	perMode := map[string][]nodes3Run{}
	var last nodes3Run
	for r := range o.Rounds {
		for _, mode := range []string{"alone", "cluster"} {
			if err := rdb.FlushAll(ctx).Err(); err != nil {
				return err
			}
			run, err := nodes3Once(ctx, b, o, mode, r, addr, rdb)
			if err != nil {
				return fmt.Errorf("round %d %s: %w", r+1, mode, err)
			}
			fmt.Printf("round %d %-7s %9.0f req/s  %6.2f µs server CPU/request  /stats exact on every node\n",
				r+1, mode, run.reqPerSec, run.cpuPerReq*1e6)
			if mode == "cluster" {
				requests := float64(o.N * nodesPerRun)
				rc := run.redis
				fmt.Printf("        %.2fx the CPU alone this round; Redis: %.3f µs CPU/request, %.1f bytes in/request, %d script calls, %d SADD\n",
					run.cpuPerReq/perMode["alone"][r].cpuPerReq, rc.cpu/requests*1e6, float64(rc.bytesIn)/requests, rc.evalsha, rc.sadds)
			}
			perMode[mode] = append(perMode[mode], run)
			last = run
		}
	}
	fmt.Printf("\nthe last cluster round's /stats, node by node:\n  %s\n\n", strings.Join(last.stats, "\n  "))

	cpuOf := func(r nodes3Run) float64 { return r.cpuPerReq }
	alone, cluster := median(perMode["alone"], cpuOf), median(perMode["cluster"], cpuOf)
	rows := [][]string{
		{"alone", fmt.Sprintf("%.0f", median(perMode["alone"], func(r nodes3Run) float64 { return r.reqPerSec })), fmt.Sprintf("%.2f", alone*1e6), "1.00x", "", ""},
		{"cluster", fmt.Sprintf("%.0f", median(perMode["cluster"], func(r nodes3Run) float64 { return r.reqPerSec })), fmt.Sprintf("%.2f", cluster*1e6),
			fmt.Sprintf("%.2fx", cluster/alone), fmt.Sprintf("<= %.2fx", nodes3CPUTarget), verdict(cluster/alone <= nodes3CPUTarget)},
	}
	fmt.Printf("medians over %d rounds:\n", o.Rounds)
	fmt.Print(formatTable([]string{"3 daemons", "req/s", "server CPU µs/request", "vs alone", "target", "result"}, rows))
	if cluster/alone > nodes3CPUTarget {
		return errors.New("a target was missed")
	}
	return nil
}

// nodes3Once starts three daemons, loads each with its own challenge client at once, waits
// until every node's /stats is exact, and charges the daemons' CPU to the requests.
func nodes3Once(ctx context.Context, b *bench, o options, mode string, round int, redisAddr string, rdb *redis.Client) (run nodes3Run, err error) {
	var ds []*onemrcd.Daemon
	defer func() {
		for _, d := range ds {
			if serr := d.Stop(); serr != nil && err == nil {
				err = serr
			}
		}
	}()
	for k := range nodesPerRun {
		var args []string
		if mode == "cluster" {
			args = []string{"-cluster", "redis://" + redisAddr + "/0", "-node-id", fmt.Sprintf("bench-%d-%d", round+1, k+1)}
		}
		d, err := onemrcd.Start(ctx, b.daemon, args, filepath.Join(b.tmp, fmt.Sprintf("onemrcd-%d.log", k+1)))
		if err != nil {
			return run, err
		}
		ds = append(ds, d)
	}
	before, err := daemonsCPU(ds)
	if err != nil {
		return run, err
	}
	var redisBefore redisCost
	if mode == "cluster" {
		if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
			return run, err
		}
		if redisBefore, err = readRedisCost(ctx, rdb); err != nil {
			return run, err
		}
	}

	start := time.Now()
	reports := make([]challengeReport, len(ds))
	errs := make([]error, len(ds))
	var wg sync.WaitGroup
	for k, d := range ds {
		wg.Go(func() {
			reports[k], _, errs[k] = runChallenge(ctx, b.runner, filepath.Join(b.tmp, fmt.Sprintf("load-%d.json", k+1)),
				"-addr", d.Addr, "-pid", strconv.Itoa(d.PID()), "-n", strconv.Itoa(o.N), "-users", strconv.Itoa(o.Users),
				"-c", strconv.Itoa(o.Conns/nodesPerRun), "-timeout", "10m")
		})
	}
	wg.Wait()
	wall := time.Since(start)

	for k, rep := range reports {
		switch {
		case errs[k] != nil:
			return run, errs[k]
		case rep.Load.OK != uint64(o.N) || rep.Load.Errors != 0:
			return run, fmt.Errorf("node %d: %d of %d events answered 200, %d errors", k+1, rep.Load.OK, o.N, rep.Load.Errors)
		case mode == "alone" && !rep.Pass:
			// The runner's /stats checks hold only alone: a cluster node's figures grow
			// with the other nodes' events during its load.
			return run, fmt.Errorf("node %d: the challenge failed: %s", k+1, strings.Join(rep.Failures, "; "))
		}
	}
	// What each node's /stats must read: one load's figures alone (the loads are alike);
	// every node's events in a cluster, whose users are one load's (every client sends
	// user_0, user_1, ...).
	want := reports[0].Load.Expected
	wantSum, ok := new(big.Rat).SetString(want.Sum)
	if !ok {
		return run, fmt.Errorf("the runner's expected sum %q", want.Sum)
	}
	wantTotal := want.Requests
	if mode == "cluster" {
		wantTotal *= nodesPerRun
		wantSum.Mul(wantSum, big.NewRat(nodesPerRun, 1))
	}
	if run.stats, err = waitExact(ctx, ds, wantTotal, want.Users, wantSum.RatString()); err != nil {
		return run, err
	}
	after, err := daemonsCPU(ds)
	if err != nil {
		return run, err
	}
	if mode == "cluster" {
		if run.redis, err = readRedisCost(ctx, rdb); err != nil {
			return run, err
		}
		run.redis.cpu -= redisBefore.cpu
	}
	requests := float64(o.N * nodesPerRun)
	run.reqPerSec = requests / wall.Seconds()
	run.cpuPerReq = (after - before).Seconds() / requests
	return run, nil
}

// daemonsCPU is the sum of the daemons' utime+stime.
func daemonsCPU(ds []*onemrcd.Daemon) (time.Duration, error) {
	var cpu time.Duration
	for _, d := range ds {
		s, err := procstat.Read(d.PID())
		if err != nil {
			return 0, err
		}
		cpu += s.CPU
	}
	return cpu, nil
}

// waitExact polls every node's /stats until each reads the figures wanted (a cluster
// node learns the others' at its next flush), for at most 30 s, and returns the bodies.
func waitExact(ctx context.Context, ds []*onemrcd.Daemon, total, users uint64, sum string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	bodies := make([]string, len(ds))
	for {
		exact := true
		for k, d := range ds {
			s, body, err := getStats(ctx, d.Addr)
			bodies[k] = string(body)
			exact = exact && err == nil && s.TotalRequests == total && s.UniqueUsers == users && sameSum(s.Sum, sum)
		}
		if exact {
			return bodies, nil
		}
		select {
		case <-ctx.Done():
			return bodies, fmt.Errorf("/stats not exact (want totalRequests %d, uniqueUsers %d, sum %s):\n  %s",
				total, users, sum, strings.Join(bodies, "\n  "))
		case <-time.After(50 * time.Millisecond):
		}
	}
}
