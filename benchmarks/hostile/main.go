// Command hostile measures that onemrcd's memory stays bounded under hostile
// clients, what slow clients cost it in CPU beside nginx, and how it holds 10 million
// distinct users.
//
// It builds the daemon from the module it runs in (or runs the binaries -daemon names),
// starts it on a free loopback port (admin listener off, -loops 2), and for each scenario
// records the server's VmRSS, VmHWM, CPU time and open sockets from /proc before, during
// (sampled every 100 ms) and after the attack, while a fresh client checks every 250 ms
// that a normal GET /health is still answered. Where the attack means the same to any
// HTTP server, nginx `return 200` is attacked the same way and reported beside it. Each
// attack stops by itself within a minute; all traffic stays on loopback.
//
//	go run ./benchmarks/hostile                       # every scenario but users10m
//	go run ./benchmarks/hostile -scenario noread
//	go run ./benchmarks/hostile -scenario resetclose -daemon /tmp/onemrcd-old,build
//	go run ./benchmarks/hostile -scenario users10m    # 10M events from 10M users, a few minutes
//	go run ./benchmarks/hostile -addr 127.0.0.1:8080 -pid $(pgrep -n onemrcd)
//
// Results are printed; with -write-readme they are also written into
// benchmarks/hostile/README.md (one marked block per scenario; the rest of the file is
// left alone). Linux only: it reads /proc.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/cli"
	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
)

// attacks are the hostile-client scenarios, in the order "all" runs them.
var attacks = []func() scenario{connsScenario, chunkedScenario, headersScenario, noreadScenario, resetsScenario,
	noreadSmallScenario, resetcloseScenario, trickleHeaderScenario, trickleChunkScenario}

type options struct {
	Scenarios   []string
	Addr        string
	PID         int
	Daemons     []string // "build" (this module's ./server) or paths of onemrcd binaries
	Nginx       string   // nginx binary; empty: no comparison
	NginxProcs  int
	Loops       int
	Readme      string
	WriteReadme bool
	Shared      bool
	After       time.Duration
	Guards      guards

	ProbeChild    string
	ProbeInterval time.Duration
	Users         usersOptions

	tmp string // the run's temporary folder: the built daemon, every daemon's output
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("hostile", flag.ContinueOnError)
	scen := fs.String("scenario", "all", "comma-separated: all, conns, chunked, headers, noread, resets, noread-small, resetclose, trickle-header, trickle-chunk, users10m (all = every one but users10m)")
	fs.StringVar(&o.Addr, "addr", "", "attack a running daemon at this loopback host:port instead of starting one (needs -pid)")
	fs.IntVar(&o.PID, "pid", 0, "PID of the -addr daemon, to read its /proc")
	daemons := fs.String("daemon", "build", "comma-separated onemrcd binaries to attack in turn, each labelled by its file name; build: this module's ./server, labelled onemrcd")
	fs.StringVar(&o.Nginx, "nginx", "nginx", "nginx binary run beside onemrcd in the scenarios where the attack means the same to it; empty: none")
	fs.IntVar(&o.NginxProcs, "nginx-workers", 0, "nginx worker processes; 0: as many as -loops")
	fs.IntVar(&o.Loops, "loops", 2, "event loops of the daemons it starts")
	fs.BoolVar(&o.WriteReadme, "write-readme", false, "write each scenario's block into -readme (default: print only)")
	fs.StringVar(&o.Readme, "readme", "default", "Markdown file -write-readme writes into; default: benchmarks/hostile/README.md of the module")
	fs.BoolVar(&o.Shared, "shared", false, "run every scenario on one daemon instead of a fresh one each (it gets no per-scenario flags)")
	fs.DurationVar(&o.After, "after", 2*time.Second, "wait this long after the sockets settle before the \"after\" reading (the Go runtime returns memory lazily)")
	maxRSS := fs.Int64("max-rss", 8<<10, "stop an attack once the server's VmRSS passes this many MiB (0: no bound)")
	fs.Int64Var(&o.Guards.MaxTCPMem, "max-tcp-mem", -1, "stop an attack once the machine's TCP buffers (/proc/net/sockstat, pages) pass this; -1: the kernel's pressure threshold (tcp_mem[1]), 0: no bound")
	fs.IntVar(&noreadClients, "noread-clients", noreadClients, "noread: clients that pipeline without reading")
	fs.DurationVar(&noreadFor, "noread-for", noreadFor, "noread, noread-small: how long the non-readers write")
	fs.IntVar(&noreadSmallClients, "noread-small-clients", noreadSmallClients, "noread-small: clients that pipeline without reading, SO_RCVBUF 4096")
	fs.IntVar(&noreadSmallSndBuf, "noread-small-sndbuf", noreadSmallSndBuf, "noread-small: SO_SNDBUF of the clients (0: the kernel's autotuning)")
	fs.IntVar(&noreadSmallMSS, "noread-small-mss", noreadSmallMSS, "noread-small: TCP_MAXSEG the clients announce (0: the kernel's, 64 KiB on loopback)")
	fs.DurationVar(&resetcloseFor, "resetclose-for", resetcloseFor, "resetclose: how long attackers and innocents run")
	fs.IntVar(&trickleConns, "trickle-conns", trickleConns, "trickle-header, trickle-chunk: connections trickling at once")
	fs.IntVar(&trickleBytes, "trickle-bytes", trickleBytes, "trickle-header, trickle-chunk: bytes each connection trickles")
	fs.DurationVar(&trickleEvery, "trickle-every", trickleEvery, "trickle-header, trickle-chunk: time between two one-byte writes")
	fs.IntVar(&trickleRounds, "rounds", trickleRounds, "trickle-header, trickle-chunk: rounds, alternating the servers, each on fresh servers")
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
	known := []string{"conns", "chunked", "headers", "noread", "resets", "noread-small", "resetclose", "trickle-header", "trickle-chunk", "users10m"}
	for _, s := range strings.Split(*scen, ",") {
		switch {
		case s == "all":
			o.Scenarios = append(o.Scenarios, known[:len(known)-1]...)
		case slices.Contains(known, s):
			o.Scenarios = append(o.Scenarios, s)
		default:
			return o, fmt.Errorf("-scenario: unknown %q", s)
		}
	}
	for _, d := range strings.Split(*daemons, ",") {
		if d = strings.TrimSpace(d); d != "" {
			o.Daemons = append(o.Daemons, d)
		}
	}
	o.Guards.MaxRSS = *maxRSS << 20
	if o.Guards.MaxTCPMem < 0 {
		o.Guards.MaxTCPMem, _ = procstat.TCPMemPressure() // 0 (no bound) if unknown
	}
	if o.NginxProcs == 0 {
		o.NginxProcs = o.Loops
	}
	if o.Readme == "default" && !o.WriteReadme {
		o.Readme = ""
	}
	switch {
	case o.Addr != "" && !isLoopback(o.Addr):
		return o, fmt.Errorf("-addr %q: only loopback targets are attacked", o.Addr)
	case o.Addr != "" && o.PID <= 0:
		return o, errors.New("-addr needs -pid: the figures come from the daemon's /proc")
	case o.Addr != "" && slices.Contains(o.Scenarios, "users10m"):
		return o, errors.New("users10m starts its own daemon (it needs GODEBUG=gctrace=1): drop -addr")
	case o.Addr == "" && len(o.Daemons) == 0:
		return o, errors.New("-daemon names no binary")
	case o.Users.Load != "runner" && o.Users.Load != "raw":
		return o, errors.New("-load must be runner or raw")
	case o.After < 0 || noreadClients < 1 || noreadSmallClients < 1 || noreadFor <= 0 || noreadSmallSndBuf < 0 || noreadSmallMSS < 0:
		return o, errors.New("-after must be >= 0, -noread-clients and -noread-small-clients >= 1, -noread-for > 0, -noread-small-sndbuf and -noread-small-mss >= 0")
	case resetcloseFor <= 0 || trickleConns < 1 || trickleEvery <= 0 || trickleRounds < 1:
		return o, errors.New("-resetclose-for and -trickle-every must be > 0, -trickle-conns and -rounds >= 1")
	case trickleBytes < minTrickleBytes || trickleBytes > maxTrickleBytes:
		return o, fmt.Errorf("-trickle-bytes must be within [%d, %d]", minTrickleBytes, maxTrickleBytes)
	case o.Loops < 1 || o.NginxProcs < 1 || o.Users.N < 0 || o.Users.Users < 1 || o.Users.Conns < 1 || o.Users.Pipeline < 1:
		return o, errors.New("-loops, -nginx-workers, -users, -c and -pipeline must be >= 1, -n >= 0")
	}
	return o, nil
}

func main() {
	opts := cli.ParseFlags("hostile", parseFlags)
	if opts.ProbeChild != "" {
		probeChild(opts.ProbeChild, opts.ProbeInterval)
		return
	}
	ctx, stop := cli.SignalContext()
	defer stop()
	if err := run(ctx, opts); err != nil {
		cli.Fail("hostile", err)
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
	if opts.tmp, err = os.MkdirTemp("", "hostile-"); err != nil {
		return err
	}
	defer os.RemoveAll(opts.tmp)
	var built string
	if (opts.Addr == "" && slices.Contains(opts.Daemons, "build")) || slices.Contains(opts.Scenarios, "users10m") {
		if built, err = onemrcd.Build(context.Background(), root, opts.tmp); err != nil {
			return err
		}
	}
	servers := onemrcdServers(opts, built)
	var nginxSrv *server
	if opts.Nginx != "" {
		if bin, err := exec.LookPath(opts.Nginx); err != nil {
			fmt.Fprintf(os.Stderr, "hostile: no nginx (%v): scenarios run on onemrcd only\n", err)
		} else {
			nginxSrv = nginxServerSpec(bin, opts.NginxProcs)
		}
	}
	defer func() {
		for _, s := range servers {
			if s.shared != nil {
				s.shared.stop()
			}
		}
	}()

	var results []result
	var failed bool
	for _, name := range opts.Scenarios {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if name == "users10m" {
			bin := built
			if bin == "" {
				bin = opts.Daemons[0]
			}
			fmt.Printf("== users10m: %d events from %d users\n", opts.Users.N, opts.Users.Users)
			r, err := runUsers(ctx, root, opts.tmp, bin, opts.Loops, opts.Users, os.Stdout)
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
		these := servers
		if sc.Nginx && nginxSrv != nil {
			these = append(slices.Clone(servers), nginxSrv)
		}
		fmt.Printf("== %s: %s\n", sc.Name, sc.About)
		var rs []result
		for round := 1; round <= max(1, sc.Rounds); round++ {
			for _, s := range these {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				t, stop, err := s.start(sc, opts)
				if err != nil {
					return fmt.Errorf("%s: %w", s.Label, err)
				}
				fmt.Printf("-- %s, round %d, %s on %s\n", sc.Name, round, s.Label, t.Addr)
				r := measure(ctx, t, sc, opts.After, opts.Guards)
				r.Round = round
				if stop != nil {
					r.Outcome.addf("server stop: %s", stop())
				}
				rs = append(rs, r)
				failed = failed || len(r.Outcome.Problems) > 0
			}
		}
		results = append(results, rs...)
		var about []string
		for _, s := range these {
			about = append(about, s.About(sc))
		}
		md := scenarioMarkdown(rs, about, command)
		fmt.Println(md)
		if err := writeBlock(opts.Readme, "scenario "+sc.key(), md); err != nil {
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
