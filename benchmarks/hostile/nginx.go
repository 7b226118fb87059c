package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/nginx"
	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
)

// nginxServer is an nginx master and its workers this program started, answering
// `return 200` to everything: the reference every scenario that applies compares with.
type nginxServer struct {
	*onemrcd.Process // the master
	dir              string
	addr             string
	workers          []int
}

// nginxConfig is benchmarks/compare's `return 200` server (peers.go) with a master and
// workers processes (like the daemon's -loops), and limits that let every scenario's
// legitimate part through:
//   - worker_connections and worker_rlimit_nofile hold 10,000 non-readers in one worker
//     (connections do not spread evenly over the workers);
//   - large_client_header_buffers 4 16k and client_header_timeout 30s let an 8 KB
//     header trickled over 8-9 s through (onemrcd: -max-header-bytes 16384
//     -header-timeout 30s);
//   - lingering_time 60s and lingering_timeout 30s: nginx discards a request body it
//     does not need after answering, under the lingering timers; a trickled chunked body
//     must not be cut at the default 30 s.
//
// The keepalive_requests nginx.Config raises matters here too: onemrcd closes no
// connection after a number of requests, and a pipeliner would be closed by that count
// instead of by how it reads.
func nginxConfig(dir, addr string, workers int) nginx.Config {
	return nginx.Config{Dir: dir, Listen: addr,
		Main:              []string{"worker_processes " + strconv.Itoa(workers), "worker_rlimit_nofile 20000"},
		WorkerConnections: 19000,
		HTTP: []string{"large_client_header_buffers 4 16k", "client_header_timeout 30s",
			"lingering_time 60s", "lingering_timeout 30s"}}
}

// startNginx runs bin with nginxConfig on a free loopback port and returns once it
// answers GET /health and all its workers are up.
func startNginx(bin string, workers int) (*nginxServer, error) {
	addr, err := onemrcd.FreeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hostile-nginx-")
	if err != nil {
		return nil, err
	}
	// The workers run as an unprivileged user when the master is root: let them in.
	_ = os.Chmod(dir, 0o755)
	args, err := nginxConfig(dir, addr, workers).Write()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	master, err := onemrcd.StartProcess(bin, args, nil, filepath.Join(dir, "nginx.out"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	n := &nginxServer{Process: master, dir: dir, addr: addr}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if r := probeOnce(addr, time.Second); r.err == nil && r.status == 200 {
			if n.workers, err = procstat.Children(master.PID()); err == nil && len(n.workers) == workers {
				slices.Sort(n.workers)
				return n, nil
			}
		}
		select {
		case <-master.Exited():
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("nginx exited before it answered: %v\n%s", master.ExitErr(), strings.TrimSpace(string(log)))
		case <-time.After(50 * time.Millisecond):
		}
	}
	n.stop()
	return nil, fmt.Errorf("nginx not answering on %s with %d workers after 10 s", addr, workers)
}

// pids are the master and the workers: their figures are summed.
func (n *nginxServer) pids() []int {
	return append([]int{n.PID()}, n.workers...)
}

// alive reports whether the master and every worker still run.
func (n *nginxServer) alive() bool {
	if !n.Alive() {
		return false
	}
	for _, w := range n.workers {
		if !processAlive(w) {
			return false
		}
	}
	return true
}

// stop asks the master for a fast shutdown (SIGTERM); after 10 s it kills the master
// and then the workers it started, by PID. It describes how nginx ended.
func (n *nginxServer) stop() string {
	defer os.RemoveAll(n.dir)
	if err := n.Stop(); err != nil {
		for _, w := range n.workers {
			if processAlive(w) {
				_ = syscall.Kill(w, syscall.SIGKILL)
			}
		}
		return err.Error()
	}
	return "exit 0 after SIGTERM"
}

// nginxCommand describes the server for the report.
func nginxCommand(workers int) string {
	return "nginx `return 200`, worker_processes " + strconv.Itoa(workers) + " (figures: master + workers summed)"
}
