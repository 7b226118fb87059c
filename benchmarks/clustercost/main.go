// Command clustercost measures what cluster mode costs, in one of three scenarios:
//
//   - cost (the default): the 1MRC challenge against a daemon alone and against one
//     flushing to Redis every 100 ms, in alternating rounds; the medians of req/s and
//     server CPU per request.
//
//   - resync: one cluster node loaded with 10,000,000 distinct users, then its Redis
//     restarted empty, -rounds times: how long the node takes to resend every user, how
//     long Redis stalls other clients meanwhile (a PING every 10 ms on its own
//     connection), the bytes sent, the node's RSS and Redis's memory.
//
//   - nodes3: the challenge split over three daemons at once, in cluster mode on one
//     Redis and alone, in alternating rounds: the daemons' CPU per request, and every
//     node's cluster /stats checked exact.
//
//     go run ./benchmarks/clustercost [-rounds 3] [-n 300000] [-out FILE]
//     go run ./benchmarks/clustercost -scenario resync [-resync-users 10000000]
//     go run ./benchmarks/clustercost -scenario nodes3 [-rounds 3] [-n 300000]
//
// Every scenario prints its report; cost also writes its Markdown table to -out when
// given one (-out benchmarks/results/cluster-cost.md rewrites the committed table).
//
// It needs redis-server (apt-get install redis-server) and starts its own on a free
// loopback port, without persistence.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onemrc/onemrc/benchmarks/internal/cli"
	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
)

// options are the command-line flags.
type options struct {
	Scenario      string
	Rounds        int
	N             int // cost: events per run; nodes3: events per node
	Conns         int // connections; nodes3 splits them over its three clients
	Users         int // cost, nodes3: distinct users
	Out           string
	ResyncUsers   int           // resync: distinct users the node holds
	ResyncTimeout time.Duration // resync: bound on each wait for Redis to hold them all
	PingEvery     time.Duration // resync: the prober's interval
	Timeout       time.Duration // bound on the whole run
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("clustercost", flag.ContinueOnError)
	fs.StringVar(&o.Scenario, "scenario", "cost", "cost, resync or nodes3")
	fs.IntVar(&o.Rounds, "rounds", 3, "cost, nodes3: rounds, each running alone then in cluster mode; resync: restarts of Redis")
	fs.IntVar(&o.N, "n", 300_000, "cost: events per run; nodes3: events per node")
	fs.IntVar(&o.Conns, "c", 1000, "connections (nodes3: split over its three clients)")
	fs.IntVar(&o.Users, "users", 75_000, "cost, nodes3: distinct users")
	fs.StringVar(&o.Out, "out", "", "cost: also write the Markdown report to this file (default: print only; benchmarks/results/cluster-cost.md rewrites the committed one)")
	fs.IntVar(&o.ResyncUsers, "resync-users", 10_000_000, "resync: distinct users loaded into the node (one event each)")
	fs.DurationVar(&o.ResyncTimeout, "resync-timeout", 120*time.Second, "resync: bound on each wait for Redis to hold every user")
	fs.DurationVar(&o.PingEvery, "ping-every", 10*time.Millisecond, "resync: interval of the PING prober")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "bound on the whole run")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.Scenario != "cost" && o.Scenario != "resync" && o.Scenario != "nodes3":
		return o, fmt.Errorf("-scenario %q: want cost, resync or nodes3", o.Scenario)
	case o.Rounds < 1, o.N < 1, o.Users < 1, o.ResyncUsers < 1:
		return o, fmt.Errorf("-rounds, -n, -users and -resync-users must be >= 1")
	case o.Conns < 3:
		return o, fmt.Errorf("-c must be >= 3")
	case o.ResyncTimeout <= 0, o.PingEvery <= 0, o.Timeout <= 0:
		return o, fmt.Errorf("-resync-timeout, -ping-every and -timeout must be > 0")
	}
	return o, nil
}

// bench is what every scenario starts from: the binaries, a scratch directory, an empty
// Redis, and the way back to the command line for the reports.
type bench struct {
	redisBin string // redis-server
	runner   string // the challenge runner
	daemon   string // onemrcd
	tmp      string
	command  string // how this run was started

	redis       *redisServer  // started empty for the scenario, killed after it
	redisClient *redis.Client // the harness's own connection to it
}

func main() {
	o := cli.ParseFlags("clustercost", parseFlags)
	// Ctrl-C ends the run early; the deferred stops still end every child.
	ctx, stop := cli.SignalContext()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := run(ctx, o); err != nil {
		cli.Fail("clustercost", err)
	}
}

func run(ctx context.Context, o options) error {
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server not found: apt-get install redis-server")
	}
	tmp, err := os.MkdirTemp("", "clustercost")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	b := &bench{redisBin: redisBin, tmp: tmp, command: "go run ./benchmarks/clustercost " + strings.Join(os.Args[1:], " ")}
	b.runner = filepath.Join(tmp, "challenge")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", b.runner, "./benchmarks/challenge").CombinedOutput(); err != nil {
		return fmt.Errorf("building the challenge runner: %v\n%s", err, out)
	}
	root, err := onemrcd.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	if b.daemon, err = onemrcd.Build(ctx, root, tmp); err != nil {
		return err
	}
	fmt.Printf("%s\n%s\n\n", strings.TrimSpace(b.command), machine())
	if b.redis, err = startRedis(ctx, b); err != nil {
		return err
	}
	defer b.redis.kill()
	b.redisClient = newRedisClient(b.redis.addr, nil)
	defer b.redisClient.Close()
	switch o.Scenario {
	case "resync":
		return runResync(ctx, b, o)
	case "nodes3":
		return runNodes3(ctx, b, o)
	}
	return runCost(ctx, b, o)
}

// machine describes this machine and its load now, for the reports.
func machine() string {
	return fmt.Sprintf("%s UTC; %d CPUs, %s, %s, %s; load average %s",
		time.Now().UTC().Format("2006-01-02 15:04"), runtime.NumCPU(), procstat.CPUModel(), runtime.Version(),
		redisVersion(), procstat.LoadAverage())
}

func redisVersion() string {
	out, err := exec.Command("redis-server", "--version").Output()
	if err != nil {
		return "redis-server version unknown"
	}
	for _, f := range strings.Fields(string(out)) {
		if v, ok := strings.CutPrefix(f, "v="); ok {
			return "redis " + v
		}
	}
	return strings.TrimSpace(string(out))
}
