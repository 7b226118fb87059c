// Command hostile measures that onemrcd's memory stays bounded under hostile
// clients, and how it holds 10 million distinct users.
//
// It builds the daemon from the module it runs in, starts it on a free loopback
// port (admin listener off, -loops 2), and for each scenario records the daemon's
// VmRSS and VmHWM from /proc/PID/status and its open sockets from /proc/PID/fd
// before, during (sampled every 100 ms) and after the attack, while a fresh client
// checks every 250 ms that a normal GET /health is still answered. Each scenario
// stops by itself within a minute; all traffic stays on loopback.
//
//	go run ./benchmarks/hostile                       # conns, chunked, headers, noread, resets
//	go run ./benchmarks/hostile -scenario noread
//	go run ./benchmarks/hostile -scenario users10m    # 10M events from 10M users, a few minutes
//	go run ./benchmarks/hostile -addr 127.0.0.1:8080 -pid $(pgrep -n onemrcd)
//
// Results are printed and written into benchmarks/hostile/README.md (one marked
// block per scenario; the rest of the file is left alone). Linux only: it reads
// /proc.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
)

// attacks are the hostile-client scenarios, in the order "all" runs them.
var attacks = []func() scenario{connsScenario, chunkedScenario, headersScenario, noreadScenario, resetsScenario}

type options struct {
	Scenarios []string
	Addr      string
	PID       int
	Loops     int
	Readme    string
	Shared    bool
	After     time.Duration

	ProbeChild    string
	ProbeInterval time.Duration
	Users         usersOptions
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("hostile", flag.ContinueOnError)
	scen := fs.String("scenario", "all", "comma-separated: all, conns, chunked, headers, noread, resets, users10m (all = every one but users10m)")
	fs.StringVar(&o.Addr, "addr", "", "attack a running daemon at this loopback host:port instead of starting one (needs -pid)")
	fs.IntVar(&o.PID, "pid", 0, "PID of the -addr daemon, to read its /proc")
	fs.IntVar(&o.Loops, "loops", 2, "event loops of the daemons it starts")
	fs.StringVar(&o.Readme, "readme", "default", "Markdown file to write results into; default: benchmarks/hostile/README.md of the module; empty: none")
	fs.BoolVar(&o.Shared, "shared", false, "run every scenario on one daemon instead of a fresh one each")
	fs.DurationVar(&o.After, "after", 2*time.Second, "wait this long after the sockets settle before the \"after\" reading (the Go runtime returns memory lazily)")
	fs.IntVar(&noreadClients, "noread-clients", noreadClients, "noread: clients that pipeline without reading")
	fs.StringVar(&o.ProbeChild, "probe-child", "", "internal: run as the fresh-client prober of this address")
	fs.DurationVar(&o.ProbeInterval, "probe-interval", 250*time.Millisecond, "internal: the prober's period")
	fs.Int64Var(&o.Users.N, "n", 10_000_000, "users10m: events to send")
	fs.Int64Var(&o.Users.Users, "users", 10_000_000, "users10m: distinct users (event i is from user_(i%users))")
	fs.IntVar(&o.Users.Conns, "c", 1_000, "users10m: keep-alive connections")
	fs.IntVar(&o.Users.Pipeline, "pipeline", 16, "users10m: requests in flight per connection")
	fs.StringVar(&o.Users.Load, "load", "runner", "users10m: load client, runner (go run ./benchmarks/challenge) or raw (built in)")
	fs.DurationVar(&o.Users.Timeout, "users-timeout", 6*time.Minute, "users10m: bound on the whole run")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	known := []string{"conns", "chunked", "headers", "noread", "resets", "users10m"}
	for _, s := range strings.Split(*scen, ",") {
		switch {
		case s == "all":
			o.Scenarios = append(o.Scenarios, known[:5]...)
		case slices.Contains(known, s):
			o.Scenarios = append(o.Scenarios, s)
		default:
			return o, fmt.Errorf("-scenario: unknown %q", s)
		}
	}
	switch {
	case o.Addr != "" && !isLoopback(o.Addr):
		return o, fmt.Errorf("-addr %q: only loopback targets are attacked", o.Addr)
	case o.Addr != "" && o.PID <= 0:
		return o, errors.New("-addr needs -pid: the figures come from the daemon's /proc")
	case o.Addr != "" && slices.Contains(o.Scenarios, "users10m"):
		return o, errors.New("users10m starts its own daemon (it needs GODEBUG=gctrace=1): drop -addr")
	case o.Users.Load != "runner" && o.Users.Load != "raw":
		return o, errors.New("-load must be runner or raw")
	case o.After < 0 || noreadClients < 1:
		return o, errors.New("-after must be >= 0 and -noread-clients >= 1")
	case o.Loops < 1 || o.Users.N < 0 || o.Users.Users < 1 || o.Users.Conns < 1 || o.Users.Pipeline < 1:
		return o, errors.New("-loops, -users, -c and -pipeline must be >= 1, -n >= 0")
	}
	return o, nil
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(2)
	}
	if opts.ProbeChild != "" {
		probeChild(opts.ProbeChild, opts.ProbeInterval)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, opts options) error {
	command := "go run ./benchmarks/hostile"
	for _, a := range os.Args[1:] {
		if a == "" || strings.ContainsAny(a, " \t'\"") {
			a = strconv.Quote(a)
		}
		command += " " + a
	}
	if lim, err := raiseFileLimit(); err != nil || lim < idleConns+1000 {
		fmt.Fprintf(os.Stderr, "hostile: open-file limit %d (%v): the conns scenario may fail to connect\n", lim, err)
	}
	root, err := onemrcd.ModuleRoot(context.Background())
	if err != nil {
		return err
	}
	if opts.Readme == "default" {
		opts.Readme = filepath.Join(root, "benchmarks", "hostile", "README.md")
	}
	var bin string
	if opts.Addr == "" || slices.Contains(opts.Scenarios, "users10m") {
		dir, err := os.MkdirTemp("", "hostile-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if bin, err = onemrcd.Build(context.Background(), root, dir); err != nil {
			return err
		}
	}

	var results []result
	var failed bool
	var shared *daemon
	defer func() {
		if shared != nil {
			shared.stop()
		}
	}()
	for _, name := range opts.Scenarios {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if name == "users10m" {
			fmt.Printf("== users10m: %d events from %d users\n", opts.Users.N, opts.Users.Users)
			r, err := runUsers(ctx, root, bin, opts.Loops, opts.Users, os.Stdout)
			if err != nil {
				return err
			}
			md := usersMarkdown(r, command)
			fmt.Println(md)
			failed = failed || len(r.StatsProblem) > 0 || r.Load.Failed > 0
			if err := writeBlock(opts.Readme, "users10m", md); err != nil {
				return err
			}
			continue
		}
		sc := scenarioNamed(name)
		addr, pid, alive := opts.Addr, opts.PID, func() bool { return processAlive(opts.PID) }
		var d *daemon
		if opts.Addr == "" {
			if shared == nil || !opts.Shared {
				if d, err = startDaemon(bin, opts.Loops, nil); err != nil {
					return err
				}
				if opts.Shared {
					shared = d
				}
			} else {
				d = shared
			}
			addr, pid, alive = d.addr, d.pid(), d.alive
		}
		fmt.Printf("== %s: %s\n", sc.Name, sc.About)
		r := measure(ctx, addr, pid, alive, sc, opts.After)
		if d != nil && !opts.Shared {
			r.Outcome.addf("daemon stop: %s", d.stop())
		}
		results = append(results, r)
		md := scenarioMarkdown(r, command)
		fmt.Println(md)
		failed = failed || len(r.Outcome.Problems) > 0
		if err := writeBlock(opts.Readme, "scenario "+name, md); err != nil {
			return err
		}
	}
	if len(results) > 0 {
		fmt.Print("\n", summaryText(results))
	}
	if failed {
		return errors.New("some expectations were not met (see FAIL above)")
	}
	return nil
}

func scenarioNamed(name string) scenario {
	for _, mk := range attacks {
		if sc := mk(); sc.Name == name {
			return sc
		}
	}
	panic("BUG: hostile: scenario " + name + " passed flag parsing but does not exist")
}

func writeBlock(readme, name, md string) error {
	if readme == "" {
		return nil
	}
	return updateReadme(readme, name, md)
}

// processAlive reports whether pid exists (signal 0 checks without sending).
func processAlive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// isLoopback reports whether host:port names a loopback IP or localhost.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
