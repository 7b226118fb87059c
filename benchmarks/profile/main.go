// Command profile captures a CPU profile of onemrcd under the 1MRC load and prints its
// top functions: the first step of any "where does the time go" question.
//
//	go run ./benchmarks/profile [-seconds 10] [-pipeline 1] [-c 1000] [-loops 0] [-top 25] [-out DIR]
//
// It builds the daemon, starts it on free loopback ports with its admin listener on,
// drives it with the challenge's load generator, fetches /debug/pprof/profile for the
// given seconds while the load runs, stops everything and runs `go tool pprof -top`. The
// profile, the binary and the daemon's output are kept in -out (a folder under the
// system's temp directory by default) so `go tool pprof -http=:0 BIN PROFILE` can open
// them afterwards.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/loadgen"
	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
)

func main() {
	seconds := flag.Int("seconds", 10, "length of the CPU profile (the load runs a little longer)")
	pipeline := flag.Int("pipeline", 1, "requests in flight per connection")
	conns := flag.Int("c", 1000, "keep-alive connections")
	loops := flag.Int("loops", 0, "daemon event loops (0: the daemon's default)")
	top := flag.Int("top", 25, "functions to print")
	out := flag.String("out", filepath.Join(os.TempDir(), "onemrc-logs"), "folder for the profile, the binary and the daemon's output")
	flag.Parse()
	if err := run(*out, *seconds, *pipeline, *conns, *loops, *top); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(1)
	}
}

func run(dir string, seconds, pipeline, conns, loops, top int) error {
	ctx := context.Background()
	root, err := onemrcd.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	stamp := time.Now().Format("20060102-150405")
	built, err := onemrcd.Build(ctx, root, dir)
	if err != nil {
		return err
	}
	// Keep the binary beside its profile under a name of its own, for pprof later.
	bin := filepath.Join(dir, "onemrcd-"+stamp)
	if err := os.Rename(built, bin); err != nil {
		return err
	}
	prof := bin + ".cpu.pprof"
	admin, err := onemrcd.FreeLoopbackAddr()
	if err != nil {
		return err
	}
	args := []string{"-admin-addr", admin}
	if loops > 0 {
		args = append(args, "-loops", strconv.Itoa(loops))
	}
	daemon, err := onemrcd.Start(ctx, bin, args, bin+".log")
	if err != nil {
		return err
	}
	defer func() {
		if err := daemon.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "profile:", err)
		}
	}()
	addr := daemon.Addr

	ctx, cancel := context.WithTimeout(ctx, time.Duration(seconds+30)*time.Second)
	defer cancel()
	progress, wait, err := loadgen.Start(ctx, loadgen.Config{Addr: addr, Requests: 1 << 40, Conns: conns,
		Users: 75_000, Pipeline: pipeline})
	if err != nil {
		return err
	}
	time.Sleep(time.Second) // connections open, loops warm
	before := progress.Done()
	start := time.Now()
	fmt.Printf("profiling onemrcd (pid %d) for %d s under %d connections, pipeline %d ...\n", daemon.PID(), seconds, conns, pipeline)
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", admin, seconds))
	if err != nil {
		return err
	}
	f, err := os.Create(prof)
	if err == nil {
		_, err = io.Copy(f, resp.Body)
		f.Close()
	}
	resp.Body.Close()
	if err != nil {
		return err
	}
	served := progress.Done() - before
	elapsed := time.Since(start)
	cancel()
	_, _ = wait()
	fmt.Printf("load: %d requests in %.1f s (%.0f req/s), %d errors\n\n", served, elapsed.Seconds(),
		float64(served)/elapsed.Seconds(), progress.Errors())

	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount="+strconv.Itoa(top), bin, prof).CombinedOutput()
	fmt.Print(string(out))
	fmt.Printf("\nprofile: %s\nbinary:  %s\nexplore: go tool pprof -http=127.0.0.1:0 %s %s\n", prof, bin, bin, prof)
	return err
}
