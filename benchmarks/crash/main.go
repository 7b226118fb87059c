// Command crash checks that onemrcd keeps every acknowledged event across SIGKILL.
//
// For each -fsync mode it starts the daemon on a fresh data directory, loads it with
// keep-alive connections that send one event at a time, kills it with SIGKILL at a
// random moment, restarts it on the same address and directory, and checks /stats
// against what the client sent and had acknowledged: every acknowledged event must be
// restored, nothing unsent may be, and the exact sum says which unacknowledged events
// were kept. It repeats -kills times per mode, prints a table (or -json) and exits
// non-zero on any FAIL.
//
//	go run ./benchmarks/crash
//	go run ./benchmarks/crash -modes always -kills 5 -c 10
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/cli"
)

// options are the command-line flags.
type options struct {
	Conns    int
	Kills    int
	Modes    []string
	MinDelay time.Duration
	MaxDelay time.Duration
	Loops    int
	Seed     int64
	JSON     bool
	Keep     bool
	Onemrcd  string
	Timeout  time.Duration
	Signal   syscall.Signal

	tmpRoot string // tests: where the run's temporary directory goes instead of $TMPDIR
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("crash", flag.ContinueOnError)
	fs.IntVar(&o.Conns, "c", 50, fmt.Sprintf("keep-alive connections, one event in flight each (at most %d)", maxConns))
	fs.IntVar(&o.Kills, "kills", 20, "SIGKILLs per mode")
	modes := fs.String("modes", "always,interval,off", "comma-separated -fsync modes, each on a fresh data directory")
	fs.DurationVar(&o.MinDelay, "min-delay", 200*time.Millisecond, "shortest load before a kill")
	fs.DurationVar(&o.MaxDelay, "max-delay", 2*time.Second, "longest load before a kill (uniform in between)")
	fs.IntVar(&o.Loops, "loops", 2, "event loops for the daemon (0 = its default)")
	fs.Int64Var(&o.Seed, "seed", 0, "seed of the kill delays (0 = from the clock; printed)")
	fs.BoolVar(&o.JSON, "json", false, "print the result as JSON on stdout (progress goes to stderr)")
	fs.BoolVar(&o.Keep, "keep", false, "keep data directories and daemon logs even when every mode passes")
	fs.StringVar(&o.Onemrcd, "onemrcd", "", "test this daemon binary instead of building ./server")
	fs.DurationVar(&o.Timeout, "timeout", 15*time.Minute, "bound on the whole run")
	sig := fs.String("signal", "KILL", "KILL, or TERM to check the harness against a graceful stop (which every daemon with -data-dir passes)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch strings.TrimPrefix(strings.ToUpper(*sig), "SIG") {
	case "KILL":
		o.Signal = syscall.SIGKILL
	case "TERM":
		o.Signal = syscall.SIGTERM
	default:
		return o, fmt.Errorf("-signal %q: KILL or TERM", *sig)
	}
	for _, m := range strings.Split(*modes, ",") {
		if m = strings.TrimSpace(m); m != "" {
			o.Modes = append(o.Modes, m)
		}
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.Conns < 1 || o.Conns > maxConns:
		return o, fmt.Errorf("-c must be 1..%d", maxConns)
	case o.Kills < 1:
		return o, errors.New("-kills must be >= 1")
	case len(o.Modes) == 0:
		return o, errors.New("-modes names no mode")
	case o.MinDelay <= 0 || o.MaxDelay < o.MinDelay:
		return o, errors.New("need 0 < -min-delay <= -max-delay")
	case o.Loops < 0:
		return o, errors.New("-loops must be >= 0")
	case o.Timeout <= 0:
		return o, errors.New("-timeout must be > 0")
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	return o, nil
}

func main() {
	opts := cli.ParseFlags("crash", parseFlags)
	ctx, stop := cli.SignalContext()
	defer stop()
	progress := os.Stdout
	if opts.JSON {
		progress = os.Stderr
	}
	rep := run(ctx, opts, progress)
	if opts.JSON {
		if err := rep.writeJSON(os.Stdout); err != nil {
			cli.Fail("crash", err)
		}
	} else {
		fmt.Print(rep.table())
	}
	if !rep.Pass {
		os.Exit(1)
	}
}
