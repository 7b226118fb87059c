package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
)

// environment is what every cell needs: paths, tools and settings.
type environment struct {
	root      string // repository root
	binDir    string // built servers
	workDir   string // per-cell folders and logs
	wrk       string
	nginx     string
	serverCPU int
	clientCPU int
	nice      int // nice level of the server and wrk; 0 leaves it
	duration  time.Duration
	onemrcd   string // prebuilt daemon; "" builds ./server into binDir
}

// cell is one server run under one load: the raw figures of a round.
type cell struct {
	Mode  string `json:"mode"`
	Peer  string `json:"peer"`
	Round int    `json:"round"`

	ReqPerSec float64 `json:"reqPerSec"`
	// Requests is wrk's completed responses; CPU per request divides by it.
	Requests   int64   `json:"requests"`
	DurationUS int64   `json:"durationUs"`
	CPUTicks   uint64  `json:"serverCpuTicks"`
	CPUSeconds float64 `json:"serverCpuSeconds"`
	// CPUMicrosPerReq is server utime+stime over the wrk run / Requests.
	CPUMicrosPerReq float64 `json:"serverCpuUsPerRequest"`
	// CPUShare is server CPU seconds over wrk's duration (1.0 = one core busy).
	CPUShare float64 `json:"serverCpuShare"`
	// ClientCPUShare is wrk's own CPU over its duration: near 1.0 means the
	// load generator, not the server, bounded req/s.
	ClientCPUShare float64 `json:"clientCpuShare"`
	// OtherLoadShare is the time the server's core was busy with anything
	// but the server (other processes, interrupts, softirq not charged to
	// the server) over the measuring window: the noise indicator of a cell.
	OtherLoadShare float64    `json:"otherLoadOnServerCore"`
	PeakRSSKiB     uint64     `json:"peakRssKiB"`
	Errors         int64      `json:"errors"`
	WrkErrors      wrkErrors  `json:"wrkErrors"`
	LatencyUS      wrkLatency `json:"latencyUs"`
	// StatsStable is false when /stats kept changing for settleLimit.
	Stats       *serverStats `json:"stats,omitempty"`
	StatsStable bool         `json:"statsStable"`
	Check       statsCheck   `json:"check"`
	// Failure is set when the cell could not be measured at all.
	Failure string `json:"failure,omitempty"`
}

// After wrk exits a server may still be serving requests already in its
// socket buffers (slowly, when other work shares its core). The harness
// waits until the server's CPU time stops moving for one settlePoll, at most
// settleLimit, before it reads CPU, memory and /stats; /stats must then read
// the same twice, settlePoll apart, within settleLimit.
const (
	settlePoll  = 200 * time.Millisecond
	settleLimit = 10 * time.Second
)

// pinned returns argv prefixed to run on one CPU, at the given nice level
// (0: unchanged). taskset and nice each exec the next program, so the PID
// of the returned command is the final program's.
func pinned(cpu, nice int, argv ...string) []string {
	out := []string{"taskset", "-c", strconv.Itoa(cpu)}
	if nice != 0 {
		out = append(out, "nice", "-n", strconv.Itoa(nice))
	}
	return append(out, argv...)
}

// settleCPU polls the process's CPU time until it stays the same for one
// poll, and returns the last reading.
func settleCPU(pid int) (time.Duration, error) {
	prev, err := procstat.CPU(pid)
	if err != nil {
		return 0, err
	}
	for deadline := time.Now().Add(settleLimit); time.Now().Before(deadline); {
		time.Sleep(settlePoll)
		cur, err := procstat.CPU(pid)
		if err != nil {
			return 0, err
		}
		if cur == prev {
			return cur, nil
		}
		prev = cur
	}
	return prev, nil
}

// settledStats reads /stats until two reads settlePoll apart agree.
func settledStats(base string) (serverStats, bool, error) {
	prev, err := getStats(base)
	if err != nil {
		return prev, false, err
	}
	for deadline := time.Now().Add(settleLimit); time.Now().Before(deadline); {
		time.Sleep(settlePoll)
		cur, err := getStats(base)
		if err != nil {
			return cur, false, err
		}
		if cur == prev {
			return cur, true, nil
		}
		prev = cur
	}
	return prev, false, nil
}

// runCell starts the peer pinned to the server CPU, drives it with wrk
// pinned to the client CPU, and measures.
func runCell(env *environment, p peer, m mode, round int) cell {
	c := cell{Mode: m.Name, Peer: p.Name, Round: round, Check: statsCheck{Verdict: verdictNone}}
	if err := measure(env, p, m, &c); err != nil {
		c.Failure = err.Error()
		c.Check.Verdict = verdictFail
	}
	return c
}

func measure(env *environment, p peer, m mode, c *cell) error {
	dir, err := os.MkdirTemp(env.workDir, fmt.Sprintf("%s-%s-%d-", m.Name, p.Name, c.Round))
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	argv, err := p.command(env, port, dir)
	if err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()

	argv = pinned(env.serverCPU, env.nice, argv...)
	srv := exec.Command(argv[0], argv[1:]...)
	srv.Stdout, srv.Stderr = logFile, logFile
	srv.Env = append(os.Environ(), onemrcd.NoDrain) // stopServer waits 5 s, the default drain
	isolate(srv)
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	defer stopServer(srv, exited)
	if err := boostGroup(srv.Process.Pid, env.nice); err != nil {
		return err
	}

	base := "http://" + loopback(port)
	if err := waitHealthy(base, exited, 15*time.Second); err != nil {
		return fmt.Errorf("%s: %w; log ends: %q", p.Name, err, logTail(logFile.Name(), 400))
	}
	// taskset (and nice) have exec'd the server by now (it answered), so
	// this PID is the server itself and /proc/PID covers all its threads.
	pid := srv.Process.Pid

	windowStart := time.Now()
	coreBefore, err := procstat.ReadCore(env.serverCPU)
	if err != nil {
		return err
	}
	before, err := procstat.CPU(pid)
	if err != nil {
		return err
	}
	rep, clientCPU, err := runWrk(env, m, base+"/event")
	if err != nil {
		return err
	}
	after, err := settleCPU(pid)
	if err != nil {
		return fmt.Errorf("%s died during the run: %w", p.Name, err)
	}
	coreAfter, err := procstat.ReadCore(env.serverCPU)
	if err != nil {
		return err
	}
	window := time.Since(windowStart)
	sample, err := procstat.Read(pid)
	if err != nil {
		return err
	}
	c.PeakRSSKiB = uint64(sample.PeakRSS >> 10)

	c.Requests = rep.Requests
	c.DurationUS = rep.DurationUS
	c.ReqPerSec = rep.reqPerSec()
	c.WrkErrors = rep.Errors
	c.Errors = rep.Errors.total()
	c.LatencyUS = rep.LatencyUS
	cpu := after - before
	c.CPUTicks = uint64(cpu / procstat.Tick)
	c.CPUSeconds = cpu.Seconds()
	if rep.Requests > 0 {
		c.CPUMicrosPerReq = c.CPUSeconds * 1e6 / float64(rep.Requests)
	}
	if rep.DurationUS > 0 {
		c.CPUShare = c.CPUSeconds / (float64(rep.DurationUS) / 1e6)
		c.ClientCPUShare = clientCPU.Seconds() / (float64(rep.DurationUS) / 1e6)
		// The window is longer than wrk's run (its start-up, the drain
		// pause), and so the share of others is taken over the window.
		others := coreAfter.Busy - coreBefore.Busy - cpu
		c.OtherLoadShare = max(0, others.Seconds()) / window.Seconds()
	}

	if p.HasStats {
		st, stable, err := settledStats(base)
		if err != nil {
			return err
		}
		c.Stats = &st
		c.StatsStable = stable
		c.Check = checkStats(rep, st, m.Conns)
		if !c.StatsStable {
			c.Check.Problems = append(c.Check.Problems, "stats still moving "+settleLimit.String()+" after the run")
			c.Check.Verdict = verdictFail
		}
	}
	return nil
}

// runWrk runs wrk pinned to the client CPU and returns its report and the
// CPU time it used.
func runWrk(env *environment, m mode, url string) (wrkReport, time.Duration, error) {
	script := filepath.Join(env.root, "benchmarks", "wrk", m.Script)
	secs := max(1, int(env.duration.Round(time.Second)/time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(secs)*time.Second+2*time.Minute)
	defer cancel()
	argv := pinned(env.clientCPU, env.nice, env.wrk, "-t1", "-c"+strconv.FormatInt(m.Conns, 10),
		"-d"+strconv.Itoa(secs)+"s", "-s", script, "--latency", url)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	isolate(cmd)
	if err := cmd.Start(); err != nil {
		return wrkReport{}, 0, fmt.Errorf("wrk: %w", err)
	}
	if err := boostGroup(cmd.Process.Pid, env.nice); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return wrkReport{}, 0, err
	}
	if err := cmd.Wait(); err != nil {
		return wrkReport{}, 0, fmt.Errorf("wrk: %w\n%s", err, out.String())
	}
	rep, err := parseWrkOutput(out.Bytes())
	if err != nil {
		return rep, 0, fmt.Errorf("%w\n%s", err, out.String())
	}
	if rep.Depth != m.Depth {
		return rep, 0, fmt.Errorf("wrk script %s reports depth %d, mode %s wants %d", m.Script, rep.Depth, m.Name, m.Depth)
	}
	st := cmd.ProcessState
	return rep, st.UserTime() + st.SystemTime(), nil
}

// waitHealthy polls GET /health until 200, the deadline, or the process exits.
func waitHealthy(base string, exited <-chan error, limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited before healthy: %v", err)
		default:
		}
		resp, err := client.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				client.CloseIdleConnections()
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("not healthy in time")
}

// getStats reads /stats on a fresh connection.
func getStats(base string) (serverStats, error) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(base + "/stats")
	if err != nil {
		return serverStats{}, fmt.Errorf("GET /stats: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return serverStats{}, fmt.Errorf("GET /stats: status %d", resp.StatusCode)
	}
	var s serverStats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return serverStats{}, fmt.Errorf("GET /stats: %w", err)
	}
	return s, nil
}

// stopServer sends SIGTERM to the server's PID and waits up to 5 s, then
// kills it.
func stopServer(srv *exec.Cmd, exited <-chan error) {
	_ = srv.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = srv.Process.Kill()
		<-exited
	}
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the last n bytes of a server's log (the folder is removed
// when the run ends, so failures quote it).
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(b[max(0, len(b)-n):])
}
