package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
)

// daemon is an onemrcd this program started, through onemrcd.Start; its output goes
// to a file of its own in the run's temporary folder.
type daemon struct{ *onemrcd.Daemon }

// startDaemon runs bin with -loops, then extra flags, and env added to this process's
// environment, its output in a new file under dir. It returns once GET /health
// answers 200; a daemon that does not start is described with its output.
func startDaemon(dir, bin string, loops int, env []string, extra ...string) (*daemon, error) {
	log, err := os.CreateTemp(dir, "onemrcd-*.log")
	if err != nil {
		return nil, err
	}
	log.Close()
	args := append([]string{"-loops", strconv.Itoa(loops)}, extra...)
	d, err := onemrcd.Start(context.Background(), bin, args, log.Name(), env...)
	if err != nil {
		out, _ := os.ReadFile(log.Name())
		return nil, fmt.Errorf("%w\n%s", err, strings.TrimSpace(string(out)))
	}
	return &daemon{d}, nil
}

// stop ends the daemon (SIGTERM, SIGKILL 10 s later) and describes how it ended.
func (d *daemon) stop() string {
	if err := d.Stop(); err != nil {
		return err.Error()
	}
	return "exit 0 after SIGTERM"
}

// output returns the daemon's output lines so far.
func (d *daemon) output() []string {
	b, err := os.ReadFile(d.LogPath)
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}
