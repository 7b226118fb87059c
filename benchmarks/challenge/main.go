// Command challenge runs the One Million Request Challenge against onemrcd:
// it builds and starts the daemon (or targets one given with -addr), sends
// n POST /event requests over keep-alive connections, and checks that
// /stats gained exactly what was sent. It prints a result table and PASS or
// FAIL, keeps a log per run (and the daemon's output) in -log-dir, a folder
// under the system's temp directory unless told otherwise, and exits non-zero
// on any error or mismatch.
//
//	go run ./benchmarks/challenge                    # the standard 1MRC run
//	go run ./benchmarks/challenge -pipeline 16 -half
//	go run ./benchmarks/challenge -n 10000000 -batch 1000   # NDJSON batches to POST /events
//	go run ./benchmarks/challenge -addr 127.0.0.1:8080 -pid $(pgrep -n onemrcd)
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/cli"
)

// options are the command-line flags.
type options struct {
	N           int
	Conns       int
	Users       int
	RPS         int
	Pipeline    int
	Batch       int
	Half        bool
	Addr        string
	JSON        string
	Timeout     time.Duration
	Loops       int
	PID         int
	AllowRemote bool
	CPUProfile  string
	DaemonArgs  []string
	Probe       time.Duration
	LogDir      string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("challenge", flag.ContinueOnError)
	fs.IntVar(&o.N, "n", 1_000_000, "events to send")
	fs.IntVar(&o.Conns, "c", 1_000, "keep-alive connections")
	fs.IntVar(&o.Users, "users", 75_000, "distinct users: event i is from user_(i % users)")
	fs.IntVar(&o.RPS, "rps", 0, "total request rate limit per second (0 = unlimited)")
	fs.IntVar(&o.Pipeline, "pipeline", 1, "requests in flight per connection")
	fs.IntVar(&o.Batch, "batch", 0, "send the events this many at a time as NDJSON POST /events batches (0: one POST /event each)")
	fs.BoolVar(&o.Half, "half", false, "send values i%1000 + 0.5 (as the challenge's Go clients do)")
	fs.StringVar(&o.Addr, "addr", "", "target a running daemon at host:port instead of starting one")
	fs.StringVar(&o.JSON, "json", "", "also write the result as JSON to this file")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "bound on the whole run (build, start, load, checks)")
	fs.IntVar(&o.Loops, "loops", 0, "event loops for the daemon it starts (0 = daemon default)")
	fs.IntVar(&o.PID, "pid", 0, "PID of the -addr daemon, to report its CPU and memory")
	fs.BoolVar(&o.AllowRemote, "allow-remote", false, "allow a non-loopback -addr")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write the client's CPU profile of the load phase to this file")
	fs.DurationVar(&o.Probe, "probe", 0, "also ask GET /health serially on one more connection at this interval during the load, and report its worst answer times (0: off)")
	fs.StringVar(&o.LogDir, "log-dir", defaultLogDir(), "folder for the run's log and the daemon's output")
	var daemonArgs string
	fs.StringVar(&daemonArgs, "daemon-args", "", "extra flags for the daemon it starts, space-separated (e.g. \"-cluster redis://127.0.0.1:6379/0\")")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if daemonArgs != "" {
		o.DaemonArgs = strings.Fields(daemonArgs)
	}
	switch {
	case len(o.DaemonArgs) > 0 && o.Addr != "":
		return o, errors.New("-daemon-args applies only to a daemon it starts, not to -addr")
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.N < 0:
		return o, errors.New("-n must be >= 0")
	case o.Conns < 1:
		return o, errors.New("-c must be >= 1")
	case o.Users < 1:
		return o, errors.New("-users must be >= 1")
	case o.RPS < 0:
		return o, errors.New("-rps must be >= 0")
	case o.Pipeline < 1:
		return o, errors.New("-pipeline must be >= 1")
	case o.Batch < 0:
		return o, errors.New("-batch must be >= 0")
	case o.Timeout <= 0:
		return o, errors.New("-timeout must be > 0")
	case o.Loops < 0:
		return o, errors.New("-loops must be >= 0")
	case o.Probe < 0:
		return o, errors.New("-probe must be >= 0")
	case o.PID != 0 && o.Addr == "":
		return o, errors.New("-pid needs -addr (the daemon it starts is measured anyway)")
	case o.Loops != 0 && o.Addr != "":
		return o, errors.New("-loops applies only to a daemon it starts, not to -addr")
	}
	if o.Addr != "" {
		if err := checkTarget(o.Addr, o.AllowRemote); err != nil {
			return o, err
		}
	}
	return o, nil
}

func main() {
	opts := cli.ParseFlags("challenge", parseFlags)
	// Ctrl-C ends the run early but still stops the daemon and reports.
	ctx, stop := cli.SignalContext()
	defer stop()
	rep := run(ctx, opts, os.Stdout)
	if !rep.Pass {
		os.Exit(1)
	}
}
