package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
)

// run performs every mode and reports progress to out. It never exits the process:
// every daemon it started is stopped (or killed) on every path.
func run(ctx context.Context, o options, out io.Writer) *report {
	rep := newReport(o)
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	tmp, err := os.MkdirTemp(o.tmpRoot, "onemrc-crash-")
	if err != nil {
		rep.fail("%v", err)
		return rep.finish()
	}
	bin := o.Onemrcd
	if bin == "" {
		fmt.Fprintln(out, "building ./server ...")
		root, err := onemrcd.ModuleRoot(ctx)
		if err == nil {
			bin, err = onemrcd.Build(ctx, root, tmp)
		}
		if err != nil {
			rep.fail("%v", err)
			_ = os.RemoveAll(tmp)
			return rep.finish()
		}
	}
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x6372617368))
	runID := fmt.Sprintf("%08x", rng.Uint32())
	fmt.Fprintf(out, "seed %d, run %s, %d connections, %d kills (%v) per mode, load %v..%v before each kill\n",
		o.Seed, runID, o.Conns, o.Kills, signalName(o.Signal), o.MinDelay, o.MaxDelay)
	for _, mode := range o.Modes {
		rep.Modes = append(rep.Modes, runMode(ctx, o, bin, filepath.Join(tmp, mode), mode, runID, rng, out))
	}
	if ctx.Err() != nil {
		rep.fail("run ended early: %v", context.Cause(ctx))
	}
	rep.finish()
	if rep.Pass && !o.Keep {
		_ = os.RemoveAll(tmp)
	} else {
		rep.Kept = tmp
	}
	return rep
}

// runMode kills and restarts one daemon -kills times on one data directory.
func runMode(ctx context.Context, o options, bin, dir, mode, runID string, rng *rand.Rand, out io.Writer) *modeReport {
	m := &modeReport{Mode: mode, DataDir: filepath.Join(dir, "data"), DaemonLog: filepath.Join(dir, "onemrcd.log")}
	defer m.finish()
	addr, err := onemrcd.FreeLoopbackAddr()
	if err == nil {
		err = os.MkdirAll(m.DataDir, 0o755)
	}
	if err != nil {
		m.fail("%v", err)
		return m
	}
	l := &launcher{bin: bin, addr: addr, dataDir: m.DataDir, logPath: m.DaemonLog, loops: o.Loops, fsync: mode}
	first, err := l.launch(ctx)
	m.setFlags(l)
	if err != nil {
		m.fail("first start: %v", err)
		return m
	}
	d := first.d
	defer func() {
		if d == nil {
			return
		}
		if err := d.Stop(); err != nil {
			m.fail("%v", err)
		}
	}()
	fmt.Fprintf(out, "%s: %s (pid %d)\n", mode, m.Args, d.PID())
	if l.fsyncDropped {
		fmt.Fprintf(out, "%s: this daemon has no -fsync flag (exit 2, \"flag provided but not defined\"): running without it\n", mode)
	}
	_, before, err := readStats(ctx, addr)
	if err != nil {
		m.fail("%v", err)
		return m
	}
	held := make([]int64, o.Conns)
	signs := make([]int64, o.Conns)
	for k := 1; k <= o.Kills && ctx.Err() == nil; k++ {
		for c := range signs {
			signs[c] = nextSign(held[c])
		}
		ld := startLoad(ctx, addr, fmt.Sprintf("%s_%s_%d", runID, mode, k), signs)
		delay := o.MinDelay + time.Duration(rng.Int64N(int64(o.MaxDelay-o.MinDelay)+1))
		select {
		case <-time.After(delay):
		case <-ctx.Done():
		}
		killedAt := time.Now()
		crash(d, o.Signal)
		conns := ld.wait()
		noticed := time.Now()

		kr := killReport{Kill: k, LoadMS: ms(delay)}
		results := make([]connResult, len(conns))
		for c, s := range conns {
			results[c] = s.connResult
			kr.Non200 += s.non200
			if s.Sent == 0 && s.err != nil {
				kr.notes = append(kr.notes, fmt.Sprintf("connection %d sent nothing: %v", c, s.err))
			}
		}
		if kr.Non200 > 0 {
			m.fail("kill %d: %d answers other than 200 during the load", k, kr.Non200)
		}

		ln, err := l.launch(ctx)
		if err != nil {
			m.fail("restart after kill %d: %v", k, err)
			d = nil
			m.Kills = append(m.Kills, kr)
			return m
		}
		d = ln.d
		kr.RestartMS, kr.BindWaitMS, kr.BindAttempts, kr.RestoreLog = ms(ln.took), ms(ln.bindWait), ln.attempts, ln.restoreLine
		kr.NoticeMS = ms(noticed.Sub(killedAt))
		raw, after, err := readStats(ctx, addr)
		kr.Stats = raw
		if err != nil {
			m.fail("kill %d: %v", k, err)
			m.Kills = append(m.Kills, kr)
			return m
		}
		kr.Verdict = checkRound(before, after, results)
		held = heldAfter(held, results, kr.Verdict)
		before = after
		m.add(kr)
		fmt.Fprintln(out, kr.line(mode, o.Kills))
	}
	return m
}

func signalName(s syscall.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGKILL"
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
