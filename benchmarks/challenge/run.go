package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/loadgen"
	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
	"github.com/onemrc/onemrc/benchmarks/internal/thousands"
)

// run performs one challenge run and reports to out. It never exits the
// process: the daemon it started is stopped on every path.
func run(ctx context.Context, o options, out io.Writer) *report {
	rep := newReport(o)
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	root, rootErr := onemrcd.ModuleRoot(ctx)
	runLog, daemonLog := logPaths(o.LogDir, rep.Started)
	fmt.Fprint(out, rep.header())

	if err := rep.execute(ctx, o, root, rootErr, daemonLog, out); err != nil {
		rep.fail("%v", err)
	}
	if ctx.Err() != nil && !errors.Is(context.Cause(ctx), context.Canceled) {
		rep.fail("run exceeded -timeout %v", o.Timeout)
	} else if ctx.Err() != nil {
		rep.fail("interrupted")
	}
	rep.Pass = len(rep.Failures) == 0

	rep.LogFile = runLog
	if o.JSON != "" {
		if err := rep.writeJSON(o.JSON); err != nil {
			rep.Pass = false
			rep.fail("write -json: %v", err)
		}
	}
	table := rep.table()
	fmt.Fprint(out, table)
	if err := writeLog(runLog, rep.header()+table); err != nil {
		fmt.Fprintf(os.Stderr, "challenge: log not written: %v\n", err)
	} else {
		fmt.Fprintf(out, "log: %s\n", runLog)
	}
	return rep
}

// execute starts the daemon when needed, loads it and checks /stats. Every
// failure it can continue past is recorded in the report; the returned
// error is the one that stopped it.
func (r *report) execute(ctx context.Context, o options, root string, rootErr error,
	daemonLog string, out io.Writer) (err error) {
	addr, pid := o.Addr, o.PID
	if addr == "" {
		if rootErr != nil {
			return fmt.Errorf("%w, or pass -addr", rootErr)
		}
		tmp, err := os.MkdirTemp("", "onemrc-challenge-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		fmt.Fprintln(out, "building ./server ...")
		bin, err := onemrcd.Build(ctx, root, tmp)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(daemonLog), 0o755); err != nil {
			return err
		}
		var args []string
		if o.Loops > 0 {
			args = append(args, "-loops", strconv.Itoa(o.Loops))
		}
		fmt.Fprintln(out, "starting onemrcd on a free loopback port, waiting for /health ...")
		d, err := onemrcd.Start(ctx, bin, append(args, o.DaemonArgs...), daemonLog)
		if err != nil {
			return err
		}
		addr, pid = d.Addr, d.PID()
		r.StartedDaemon, r.DaemonPID, r.DaemonLog = true, pid, daemonLog
		defer func() {
			start := time.Now()
			stopErr := d.Stop()
			r.DaemonStop = fmt.Sprintf("stopped by SIGTERM in %v, exit 0", time.Since(start).Round(time.Millisecond))
			if stopErr != nil {
				r.DaemonStop = stopErr.Error()
				r.fail("%v", stopErr)
			}
		}()
		fmt.Fprintf(out, "started onemrcd pid %d on %s\n", pid, addr)
	}
	r.Target = addr

	before, err := getStats(ctx, addr)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	r.StatsBefore = before.Raw
	if before.TotalRequests != 0 {
		r.note("the daemon already held %d events: checking deltas only", before.TotalRequests)
	}

	var server0, client0 procstat.Sample
	serverOK := pid > 0
	if serverOK {
		if server0, err = procstat.Read(pid); err != nil {
			r.note("server usage not measured: %v", err)
			serverOK = false
		}
	}
	client0, clientErr := procstat.Read(os.Getpid())

	want := loadgen.Expected(uint64(o.N), uint64(o.Users), o.Half)
	progress, wait, err := loadgen.Start(ctx, loadgen.Config{
		Addr: addr, Requests: o.N, Conns: o.Conns, Users: o.Users,
		Pipeline: o.Pipeline, Half: o.Half, RPS: o.RPS, Batch: o.Batch,
	})
	if err != nil {
		return err
	}
	if o.CPUProfile != "" {
		stopProfile, err := startCPUProfile(o.CPUProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	stop, shown := make(chan struct{}), make(chan struct{})
	go showProgress(out, isTerminal(os.Stdout) && out == io.Writer(os.Stdout), progress, o.N, stop, shown)
	probed := make(chan probeReport, 1)
	probeCtx, stopProbe := context.WithCancel(ctx)
	if o.Probe > 0 {
		go func() { probed <- runProbe(probeCtx, addr, o.Probe) }()
	}
	res, loadErr := wait()
	stopProbe()
	if o.Probe > 0 {
		p := <-probed
		r.Probe = &p
	}
	close(stop)
	<-shown
	r.setLoad(res, want)
	if n := res.Errors(); n > 0 {
		r.fail("%s events not acknowledged", thousands.Uint(n))
	}

	if serverOK {
		if server1, err := procstat.Read(pid); err == nil {
			r.Server = usage(pid, server0, server1, res)
		} else {
			r.note("server usage not measured: %v", err)
		}
	}
	if clientErr == nil {
		if client1, err := procstat.Read(os.Getpid()); err == nil {
			r.Client = usage(os.Getpid(), client0, client1, res)
		}
	}

	// Read the final /stats even after a timeout: what the daemon counted
	// is the best clue to what went wrong.
	statsCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), statsTimeout)
	defer cancel()
	after, err := getStats(statsCtx, addr)
	if err != nil {
		return fmt.Errorf("final: %w", err)
	}
	r.StatsAfter = after.Raw
	r.Checks = checkStats(before, after, want)
	for _, c := range r.Checks {
		if !c.OK {
			r.fail("%s: want %s, got %s", c.Name, c.Want, c.Got)
		}
	}
	if loadErr != nil && !errors.Is(loadErr, context.DeadlineExceeded) && !errors.Is(loadErr, context.Canceled) {
		return loadErr
	}
	return nil
}

// usage charges a process's CPU over the load phase to its requests.
func usage(pid int, before, after procstat.Sample, res loadgen.Result) *usageReport {
	u := &usageReport{
		PID:          pid,
		CPUSeconds:   (after.CPU - before.CPU).Seconds(),
		PeakRSSBytes: after.PeakRSS,
	}
	if answered := res.OK + res.Non200; answered > 0 {
		u.CPUSecondsPer1000 = u.CPUSeconds / float64(answered) * 1000
		u.NsPerEvent = u.CPUSeconds / float64(answered) * 1e9
	}
	return u
}

// startCPUProfile profiles this process into path until the returned
// function runs.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
