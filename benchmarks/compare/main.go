// Command compare runs onemrc beside its peers (net/http, fasthttp, nginx)
// under wrk and reports requests per second, server CPU per request, peak
// RSS, errors and whether /stats agrees with what wrk sent.
//
//	go run ./benchmarks/compare [-rounds 3] [-duration 10s]
//	    [-modes c1000,c100,pipe16] [-peers onemrc,nethttp,fasthttp,nginx]
//	    [-out DIR]
//
// The results go to a new temporary folder unless -out names one;
// `-out benchmarks/results` rewrites the committed figures.
//
// Each cell starts one server pinned to one CPU and wrk (one thread) pinned to
// another; rounds interleave the peers (A B C D A B C D ...) so slow drift of
// the machine spreads over all of them. Needs wrk, nginx and taskset
// (apt-get install -y wrk nginx-light). See README.part.md.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
)

// exitMissingTools is the exit status when wrk or nginx is not installed.
const exitMissingTools = 2

// openFilesWanted covers 1,000 client and 1,000 server sockets with room.
const openFilesWanted = 8192

type options struct {
	rounds    int
	duration  time.Duration
	modes     string
	peers     string
	out       string
	serverCPU int
	clientCPU int
	onemrcd   string
	nice      int
	from      string
}

func main() {
	var o options
	flag.IntVar(&o.rounds, "rounds", 3, "rounds per mode (each runs every peer once)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "wrk run length per cell (whole seconds)")
	flag.StringVar(&o.modes, "modes", "c1000,c100,pipe16", "comma-separated load modes")
	flag.StringVar(&o.peers, "peers", "onemrc,nethttp,fasthttp,nginx", "comma-separated peers, in round order")
	flag.StringVar(&o.out, "out", "", "folder for results.md, results.json, results.svg (default: a new temporary folder; benchmarks/results rewrites the committed ones)")
	flag.IntVar(&o.serverCPU, "server-cpu", 0, "CPU the server is pinned to")
	flag.IntVar(&o.clientCPU, "client-cpu", 1, "CPU wrk is pinned to")
	flag.StringVar(&o.onemrcd, "onemrcd", "", "use this onemrcd binary instead of building ./server")
	flag.IntVar(&o.nice, "nice", defaultNice(), "nice level for the server and wrk (-20 as root: win the pinned cores from other work; 0 leaves it)")
	flag.StringVar(&o.from, "from", "", "re-render results.md and results.svg (and the summary in results.json) from this results.json, running nothing")
	flag.Parse()
	run := run
	if o.from != "" {
		run = rerender
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		var missing missingToolsError
		if errors.As(err, &missing) {
			os.Exit(exitMissingTools)
		}
		os.Exit(1)
	}
}

// missingToolsError names programs that must be installed first.
type missingToolsError []string

func (m missingToolsError) Error() string {
	return "missing " + strings.Join(m, ", ") + "; install with: apt-get install -y wrk nginx-light"
}

func run(o options) error {
	if o.rounds < 1 || o.duration < time.Second {
		return errors.New("-rounds must be >= 1 and -duration >= 1s")
	}
	modes, err := selectModes(splitList(o.modes))
	if err != nil {
		return err
	}
	peers, err := selectPeers(splitList(o.peers))
	if err != nil {
		return err
	}
	if o.serverCPU == o.clientCPU || max(o.serverCPU, o.clientCPU) >= runtime.NumCPU() {
		return fmt.Errorf("need two distinct CPUs below %d, got server %d client %d", runtime.NumCPU(), o.serverCPU, o.clientCPU)
	}

	env := &environment{serverCPU: o.serverCPU, clientCPU: o.clientCPU,
		duration: o.duration.Round(time.Second), onemrcd: o.onemrcd, nice: o.nice}
	if err := findTools(env, peers); err != nil {
		fmt.Println("apt-get install -y wrk nginx-light")
		return err
	}
	if env.root, err = repoRoot(); err != nil {
		return err
	}
	if _, err := raiseOpenFiles(openFilesWanted); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "onemrc-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	env.binDir, env.workDir = filepath.Join(tmp, "bin"), filepath.Join(tmp, "work")
	for _, d := range []string{env.binDir, env.workDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	for _, p := range peers {
		if p.build != nil && !(p.Name == "onemrc" && env.onemrcd != "") {
			fmt.Fprintf(os.Stderr, "building %s\n", p.Name)
			if err := p.build(env); err != nil {
				return err
			}
		}
	}

	outDir, err := outputDir(o.out)
	if err != nil {
		return err
	}
	res := results{
		Command:  commandLine(o),
		Machine:  describeMachine(env),
		Rounds:   o.rounds,
		Duration: env.duration.String(),
		Nice:     env.nice,
		Modes:    modes,
	}
	for _, p := range peers {
		res.Peers = append(res.Peers, p.Name)
	}

	for _, m := range modes {
		for round := 1; round <= o.rounds; round++ {
			for _, p := range peers {
				c := runCell(env, p, m, round)
				fmt.Fprintln(os.Stderr, progressLine(c, o.rounds))
				res.Cells = append(res.Cells, c)
				time.Sleep(500 * time.Millisecond) // let sockets of the last cell close
			}
		}
		// Write after every mode so a long run that is cut short keeps what it has.
		res.Machine.LoadAfter = procstat.LoadAverage()
		if err := writeOutputs(outDir, &res, modes, peers); err != nil {
			return err
		}
	}
	var table bytes.Buffer
	writeTable(&table, res.Summary)
	fmt.Print(table.String())
	fmt.Println()
	writeTargets(os.Stdout, res.Targets)
	fmt.Printf("\nwrote %s/results.{md,json,svg}\n", outDir)
	return nil
}

// outputDir makes the folder the results go to: out (relative to the working
// directory), or a new temporary folder when out is empty, so that a run never
// overwrites the committed benchmarks/results unless asked to.
func outputDir(out string) (string, error) {
	if out == "" {
		return os.MkdirTemp("", "onemrc-compare-results-")
	}
	return out, os.MkdirAll(out, 0o755)
}

// writeOutputs recomputes the summary and writes the three result files.
func writeOutputs(dir string, res *results, modes []mode, peers []peer) error {
	res.Summary = summarize(res.Cells, modes, peers)
	res.Targets = evaluateTargets(res.Summary, modes)
	var md, js, svg bytes.Buffer
	writeMarkdown(&md, *res)
	if err := writeJSON(&js, *res); err != nil {
		return err
	}
	if err := writeSVG(&svg, "onemrc beside its peers, one server core, wrk on another", resultCharts(res.Summary, modes, res.Peers)); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"results.md": md.Bytes(), "results.json": js.Bytes(), "results.svg": svg.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func progressLine(c cell, rounds int) string {
	head := fmt.Sprintf("%-6s round %d/%d %-8s", c.Mode, c.Round, rounds, c.Peer)
	if c.Failure != "" {
		return head + " FAILED: " + c.Failure
	}
	return fmt.Sprintf("%s %9.0f req/s  %6.2f µs/req CPU  server %3.0f%%  wrk %3.0f%%  others %3.0f%%  %5.1f MiB  errors %d  stats %s",
		head, c.ReqPerSec, c.CPUMicrosPerReq, 100*c.CPUShare, 100*c.ClientCPUShare, 100*c.OtherLoadShare,
		float64(c.PeakRSSKiB)/1024, c.Errors, c.Check)
}

// findTools locates wrk, taskset, nice and (when asked for) nginx.
func findTools(env *environment, peers []peer) error {
	var missing missingToolsError
	look := func(name string, extra ...string) string {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		for _, p := range extra {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		missing = append(missing, name)
		return ""
	}
	env.wrk = look("wrk")
	look("taskset")
	look("nice")
	for _, p := range peers {
		if p.Name == "nginx" {
			env.nginx = look("nginx", "/usr/sbin/nginx")
		}
	}
	if len(missing) > 0 {
		return missing
	}
	return nil
}

// repoRoot walks up from the working directory to the onemrc module root.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(mod, []byte("module github.com/onemrc/onemrc\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the onemrc repository (no go.mod of module github.com/onemrc/onemrc above)")
		}
		dir = parent
	}
}

// commandLine is the effective invocation, every setting spelled out.
func commandLine(o options) string {
	s := fmt.Sprintf("go run ./benchmarks/compare -rounds %d -duration %s -modes %s -peers %s",
		o.rounds, o.duration.Round(time.Second), o.modes, o.peers)
	if o.onemrcd != "" {
		s += " -onemrcd " + o.onemrcd
	}
	if o.nice != defaultNice() {
		s += fmt.Sprintf(" -nice %d", o.nice)
	}
	if o.serverCPU != 0 || o.clientCPU != 1 {
		s += fmt.Sprintf(" -server-cpu %d -client-cpu %d", o.serverCPU, o.clientCPU)
	}
	return s
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// defaultNice is -20 for root, so the measured processes take their pinned
// cores ahead of unrelated work on a shared machine, and 0 otherwise (only
// root may lower a nice value).
func defaultNice() int {
	if os.Geteuid() == 0 {
		return -20
	}
	return 0
}

// rerender rebuilds the summary and the three files from the raw cells of a
// results.json, so a change to the report needs no new measurement.
func rerender(o options) error {
	b, err := os.ReadFile(o.from)
	if err != nil {
		return err
	}
	var res results
	if err := json.Unmarshal(b, &res); err != nil {
		return fmt.Errorf("%s: %w", o.from, err)
	}
	peers, err := selectPeers(res.Peers)
	if err != nil {
		return err
	}
	outDir, err := outputDir(o.out)
	if err != nil {
		return err
	}
	if err := writeOutputs(outDir, &res, res.Modes, peers); err != nil {
		return err
	}
	fmt.Printf("re-rendered %s/results.{md,json,svg} from %s\n", outDir, o.from)
	return nil
}
