package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
)

// runCost runs the challenge against a fresh daemon alone, then against a fresh daemon
// in cluster mode (Redis emptied first), -rounds times, and reports the medians.
func runCost(ctx context.Context, b *bench, o options) error {
	addr, rdb := b.redis.addr, b.redisClient
	modes := []string{"alone", "cluster"}
	perMode := map[string][]challengeReport{}
	for r := range o.Rounds {
		for _, mode := range modes {
			if err := rdb.FlushAll(ctx).Err(); err != nil {
				return err
			}
			args := []string{"-n", fmt.Sprint(o.N), "-c", fmt.Sprint(o.Conns), "-users", fmt.Sprint(o.Users)}
			if mode == "cluster" {
				args = append(args, "-daemon-args", fmt.Sprintf("-cluster redis://%s/0 -node-id bench-%d", addr, r))
			}
			res, out, err := runChallenge(ctx, b.runner, filepath.Join(b.tmp, "r.json"), args...)
			if err != nil {
				return fmt.Errorf("round %d %s: %w", r+1, mode, err)
			}
			if !res.Pass {
				return fmt.Errorf("round %d %s: the challenge failed: %s\n%s", r+1, mode, strings.Join(res.Failures, "; "), out)
			}
			fmt.Printf("round %d %-7s %9.0f req/s  %6.2f µs server CPU/request\n", r+1, mode, res.Load.ReqPerSec, res.Server.CPUSecondsPer1000*1000)
			perMode[mode] = append(perMode[mode], res)
		}
	}

	var md strings.Builder
	fmt.Fprintf(&md, "# Cluster mode: what it costs\n\n")
	fmt.Fprintf(&md, "Command: `go run ./benchmarks/clustercost -rounds %d -n %d -c %d` (%s).\n\n", o.Rounds, o.N, o.Conns, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&md, "Machine: %d cores, %s, %s. Each round runs the 1MRC challenge (`benchmarks/challenge`, pipeline 1) against a fresh daemon alone, then against a fresh daemon with `-cluster` flushing to a local redis-server every 100 ms (default); client, daemon and Redis share the machine. Medians over rounds.\n\n", runtime.NumCPU(), procstat.CPUModel(), runtime.Version())
	fmt.Fprintf(&md, "| mode | req/s | server CPU µs/request | vs alone (CPU) |\n|---|--:|--:|--:|\n")
	cpuOf := func(r challengeReport) float64 { return r.Server.CPUSecondsPer1000 }
	base := median(perMode["alone"], cpuOf)
	for _, mode := range modes {
		rps := median(perMode[mode], func(r challengeReport) float64 { return r.Load.ReqPerSec })
		cpu := median(perMode[mode], cpuOf)
		fmt.Fprintf(&md, "| %s | %.0f | %.2f | %.2fx |\n", mode, rps, cpu*1000, cpu/base)
	}
	fmt.Print("\n" + md.String())
	if o.Out == "" {
		return nil
	}
	return os.WriteFile(o.Out, []byte(md.String()), 0o644)
}

// median is the middle of f over rs (the upper middle for an even count).
func median[T any](rs []T, f func(T) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}
