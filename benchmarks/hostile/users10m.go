package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
)

// usersOptions configure the 10-million-user run.
type usersOptions struct {
	N, Users        int64
	Conns, Pipeline int
	Load            string // "runner" (the challenge runner) or "raw" (rawLoad)
	Timeout         time.Duration
}

// usersResult is what the run measured.
type usersResult struct {
	Opts         usersOptions
	Started      time.Time
	Machine      string // machine() at the start
	DaemonCmd    string
	LoadCmd      string
	LoadVia      string // which load client ran
	LoadNote     string // why the fallback ran, when it did
	Load         loadFigures
	RunnerPass   string // the runner's own verdict, when it ran
	Stats        string // the /stats body after the load
	StatsProblem []string
	StatsLat     []time.Duration // sorted
	StatsErr     error
	Mem          procstat.Sample
	GC           gcSummary
	ForcedGC     *gcLine         // the full GC forced after the load, with every user live
	ForcedMem    procstat.Sample // the daemon's memory after it
	ForcedErr    error
	DaemonStop   string
}

// runUsers starts a daemon with GODEBUG=gctrace=1, loads it with opts.N events
// from opts.Users users, checks /stats and measures /stats latency, memory and
// GC pauses.
func runUsers(ctx context.Context, root, tmp, bin string, loops int, opts usersOptions, log io.Writer) (usersResult, error) {
	r := usersResult{Opts: opts, Started: time.Now(), Machine: machine()}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	env := []string{"GODEBUG=gctrace=1"}
	// The admin listener serves /debug/pprof/heap?gc=1, which runs runtime.GC: one
	// full cycle with every user live, after the load.
	adminAddr, err := onemrcd.FreeLoopbackAddr()
	if err != nil {
		return r, err
	}
	d, err := startDaemon(tmp, bin, loops, env, "-admin-addr", adminAddr)
	if err != nil {
		return r, err
	}
	r.DaemonCmd = fmt.Sprintf("GODEBUG=gctrace=1 onemrcd -addr %s -admin-addr %s -loops %d", d.Addr, adminAddr, loops)
	defer func() {
		if d != nil {
			d.stop()
		}
	}()

	r.LoadVia = opts.Load
	if opts.Load == "runner" {
		var ok bool
		ok, err = runRunner(ctx, root, d, opts, &r, log)
		if !ok {
			// The runner did not run the load (missing, does not build, crashed):
			// start over on a fresh daemon with the built-in client.
			r.LoadNote = fmt.Sprintf("challenge runner unusable (%v); fell back to the built-in raw client", err)
			fmt.Fprintln(log, r.LoadNote)
			d.stop()
			if d, err = startDaemon(tmp, bin, loops, env, "-admin-addr", adminAddr); err != nil {
				return r, err
			}
			r.LoadVia = "raw"
		}
	}
	if r.LoadVia == "raw" {
		r.LoadCmd = fmt.Sprintf("built-in raw client: %d connections, %d pipelined per write", opts.Conns, opts.Pipeline)
		fmt.Fprintf(log, "raw load: %d events, %d users ...\n", opts.N, opts.Users)
		r.Load = rawLoad(ctx, d.Addr, opts.N, opts.Users, opts.Conns, opts.Pipeline)
	}

	lat, body, err := statsLatency(ctx, d.Addr, 100)
	r.StatsErr, r.Stats = err, string(body)
	if s, err := parseStats(body); err != nil {
		r.StatsProblem = []string{err.Error()}
	} else {
		r.StatsProblem = checkStats(s, opts.N, opts.Users)
	}
	r.StatsLat = lat
	percentile(r.StatsLat, 50) // sorts
	r.Mem, _ = procstat.Read(d.PID())
	r.ForcedErr = forceGC(ctx, adminAddr)
	time.Sleep(200 * time.Millisecond) // let the gctrace line reach us
	r.ForcedMem, _ = procstat.Read(d.PID())
	r.DaemonStop = d.stop()
	out := d.output()
	r.GC = summarizeGC(out, 5)
	for _, l := range out {
		if g, ok := parseGCLine(l); ok && g.Forced {
			r.ForcedGC = &g
		}
	}
	d = nil
	return r, nil
}

// runRunner loads the daemon with the challenge runner. ok reports that the runner
// ran the load to the end (whatever its verdict); err says what went wrong.
func runRunner(ctx context.Context, root string, d *daemon, opts usersOptions, r *usersResult, log io.Writer) (ok bool, err error) {
	jsonPath := filepath.Join(os.TempDir(), fmt.Sprintf("hostile-challenge-%d.json", os.Getpid()))
	defer os.Remove(jsonPath)
	timeout := time.Until(deadlineOr(ctx, time.Now().Add(4*time.Minute))) - 30*time.Second
	args := []string{"run", "./benchmarks/challenge",
		"-addr", d.Addr, "-pid", strconv.Itoa(d.PID()),
		"-n", strconv.FormatInt(opts.N, 10), "-users", strconv.FormatInt(opts.Users, 10),
		"-c", strconv.Itoa(opts.Conns), "-pipeline", strconv.Itoa(opts.Pipeline),
		"-timeout", timeout.Round(time.Second).String(), "-json", jsonPath}
	r.LoadCmd = "go " + strings.Join(args, " ")
	fmt.Fprintln(log, r.LoadCmd)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return false, err
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		fmt.Fprintln(log, "  runner| "+sc.Text())
	}
	runErr := cmd.Wait()

	var rep struct {
		Pass bool `json:"pass"`
		Load *struct {
			Seconds float64 `json:"seconds"`
			OK      int64   `json:"ok"`
			Errors  int64   `json:"errors"`
		} `json:"load"`
		Failures []string `json:"failures"`
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		return false, fmt.Errorf("no JSON report (%v): %v", runErr, err)
	}
	if err := json.Unmarshal(data, &rep); err != nil || rep.Load == nil {
		return false, fmt.Errorf("unreadable JSON report (%v): %v", runErr, err)
	}
	r.Load = loadFigures{OK: rep.Load.OK, Failed: rep.Load.Errors, Elapsed: time.Duration(rep.Load.Seconds * float64(time.Second))}
	r.RunnerPass = "PASS"
	if !rep.Pass {
		r.RunnerPass = "FAIL: " + strings.Join(rep.Failures, "; ")
	}
	return true, nil
}

func deadlineOr(ctx context.Context, def time.Time) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl
	}
	return def
}

// forceGC asks the daemon's admin listener for a heap profile with gc=1, which runs
// runtime.GC first (net/http/pprof).
func forceGC(ctx context.Context, adminAddr string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+adminAddr+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /debug/pprof/heap?gc=1: %s", resp.Status)
	}
	return nil
}
