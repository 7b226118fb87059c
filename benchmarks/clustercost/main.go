// Command clustercost measures what cluster mode costs: the 1MRC challenge against a
// daemon alone and against one flushing to Redis every 100 ms, in alternating rounds on
// this machine, and reports the medians of req/s and server CPU per request.
//
//	go run ./benchmarks/clustercost [-rounds 3] [-n 300000] [-out benchmarks/results/cluster-cost.md]
//
// It needs redis-server (apt-get install redis-server) and starts its own on a free
// loopback port, without persistence, emptied before every round.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
)

type result struct {
	Pass bool `json:"pass"`
	Load struct {
		ReqPerSec float64 `json:"reqPerSec"`
	} `json:"load"`
	Server struct {
		CPUSecondsPer1000 float64 `json:"cpuSecondsPer1000Requests"`
	} `json:"server"`
}

func main() {
	rounds := flag.Int("rounds", 3, "rounds; each runs the daemon alone, then in cluster mode")
	n := flag.Int("n", 300_000, "events per run")
	conns := flag.Int("c", 1000, "connections")
	out := flag.String("out", "benchmarks/results/cluster-cost.md", "Markdown report")
	flag.Parse()
	if err := run(*rounds, *n, *conns, *out); err != nil {
		fmt.Fprintln(os.Stderr, "clustercost:", err)
		os.Exit(1)
	}
}

func run(rounds, n, conns int, out string) error {
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server not found: apt-get install redis-server")
	}
	tmp, err := os.MkdirTemp("", "clustercost")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	runner := filepath.Join(tmp, "challenge")
	if b, err := exec.Command("go", "build", "-o", runner, "./benchmarks/challenge").CombinedOutput(); err != nil {
		return fmt.Errorf("building the challenge runner: %v\n%s", err, b)
	}
	addr, err := onemrcd.FreeLoopbackAddr()
	if err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(addr)
	redis := exec.Command(redisBin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := redis.Start(); err != nil {
		return err
	}
	defer func() { _ = redis.Process.Kill(); _ = redis.Wait() }()
	if err := waitRedis(addr); err != nil {
		return err
	}

	modes := []string{"alone", "cluster"}
	perMode := map[string][]result{}
	for r := range rounds {
		for _, mode := range modes {
			if err := flushAll(addr); err != nil {
				return err
			}
			args := []string{"-n", fmt.Sprint(n), "-c", fmt.Sprint(conns), "-json", filepath.Join(tmp, "r.json")}
			if mode == "cluster" {
				args = append(args, "-daemon-args", fmt.Sprintf("-cluster redis://%s/0 -node-id bench-%d", addr, r))
			}
			cmd := exec.Command(runner, args...)
			if b, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("round %d %s: %v\n%s", r+1, mode, err, b)
			}
			var res result
			b, err := os.ReadFile(filepath.Join(tmp, "r.json"))
			if err != nil {
				return err
			}
			if err := json.Unmarshal(b, &res); err != nil {
				return err
			}
			if !res.Pass {
				return fmt.Errorf("round %d %s: the challenge failed", r+1, mode)
			}
			fmt.Printf("round %d %-7s %9.0f req/s  %6.2f µs server CPU/request\n", r+1, mode, res.Load.ReqPerSec, res.Server.CPUSecondsPer1000*1000)
			perMode[mode] = append(perMode[mode], res)
		}
	}

	var md strings.Builder
	fmt.Fprintf(&md, "# Cluster mode: what it costs\n\n")
	fmt.Fprintf(&md, "Command: `go run ./benchmarks/clustercost -rounds %d -n %d -c %d` (%s).\n\n", rounds, n, conns, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&md, "Machine: %d cores, %s, %s. Each round runs the 1MRC challenge (`benchmarks/challenge`, pipeline 1) against a fresh daemon alone, then against a fresh daemon with `-cluster` flushing to a local redis-server every 100 ms (default); client, daemon and Redis share the machine. Medians over rounds.\n\n", runtime.NumCPU(), cpuModel(), runtime.Version())
	fmt.Fprintf(&md, "| mode | req/s | server CPU µs/request | vs alone (CPU) |\n|---|--:|--:|--:|\n")
	base := median(perMode["alone"], func(r result) float64 { return r.Server.CPUSecondsPer1000 })
	for _, mode := range modes {
		rps := median(perMode[mode], func(r result) float64 { return r.Load.ReqPerSec })
		cpu := median(perMode[mode], func(r result) float64 { return r.Server.CPUSecondsPer1000 })
		fmt.Fprintf(&md, "| %s | %.0f | %.2f | %.2fx |\n", mode, rps, cpu*1000, cpu/base)
	}
	fmt.Print("\n" + md.String())
	if out == "" {
		return nil
	}
	return os.WriteFile(out, []byte(md.String()), 0o644)
}

func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// redisCommand sends one command in RESP and returns the first reply line.
func redisCommand(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	msg := fmt.Sprintf("*%d\r\n", len(args))
	for _, a := range args {
		msg += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(msg)); err != nil {
		return "", err
	}
	buf := make([]byte, 256)
	k, err := c.Read(buf)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(buf[:k])), nil
}

func waitRedis(addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := redisCommand(addr, "PING"); err == nil && r == "+PONG" {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on %s did not answer", addr)
}

func flushAll(addr string) error {
	r, err := redisCommand(addr, "FLUSHALL")
	if err == nil && r != "+OK" {
		err = fmt.Errorf("FLUSHALL: %s", r)
	}
	return err
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
