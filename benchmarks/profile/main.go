// Command profile captures a CPU profile of onemrcd under the 1MRC load and prints its
// top functions: the first step of any "where does the time go" question.
//
//	go run ./benchmarks/profile [-seconds 10] [-pipeline 1] [-c 1000] [-loops 0] [-top 25]
//
// It builds the daemon, starts it on free loopback ports with its admin listener on,
// drives it with the challenge's load generator, fetches /debug/pprof/profile for the
// given seconds while the load runs, stops everything and runs `go tool pprof -top`. The
// profile and the binary are kept under logs/ so `go tool pprof -http=:0 BIN PROFILE`
// can open them afterwards.
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
	"syscall"
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
	flag.Parse()
	if err := run(*seconds, *pipeline, *conns, *loops, *top); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(1)
	}
}

func run(seconds, pipeline, conns, loops, top int) error {
	ctx := context.Background()
	root, err := onemrcd.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "logs")
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
	addr, err := onemrcd.FreeLoopbackAddr()
	if err != nil {
		return err
	}
	admin, err := onemrcd.FreeLoopbackAddr()
	if err != nil {
		return err
	}
	args := []string{"-addr", addr, "-admin-addr", admin}
	if loops > 0 {
		args = append(args, "-loops", strconv.Itoa(loops))
	}
	daemon := exec.Command(bin, args...)
	if err := daemon.Start(); err != nil {
		return err
	}
	defer func() {
		_ = daemon.Process.Signal(syscall.SIGTERM)
		_ = daemon.Wait()
	}()
	if err := waitHealthy(addr); err != nil {
		return err
	}

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
	fmt.Printf("profiling onemrcd (pid %d) for %d s under %d connections, pipeline %d ...\n", daemon.Process.Pid, seconds, conns, pipeline)
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

func waitHealthy(addr string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("onemrcd on %s did not become healthy", addr)
}
