package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
)

// daemon is an onemrcd process this program started.
type daemon struct {
	cmd    *exec.Cmd
	addr   string
	exited chan struct{} // closed once the process was waited for
	err    error         // the exit status; valid once exited is closed

	mu    sync.Mutex
	lines []string // the daemon's output, one entry per line
}

// startDaemon runs bin on a free loopback port with the admin listener off, extra
// flags after the defaults, and env added to this process's environment. It returns
// once GET /health answers 200.
func startDaemon(bin string, loops int, env []string, extra ...string) (*daemon, error) {
	addr, err := onemrcd.FreeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"-addr", addr, "-admin-addr", "", "-loops", strconv.Itoa(loops)}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	// The daemon dies with this program even if it is killed (Linux only).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout // one stream, in order
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	d := &daemon{cmd: cmd, addr: addr, exited: make(chan struct{})}
	go d.collect(out)
	if err := d.waitHealthy(30 * time.Second); err != nil {
		d.stop()
		return nil, err
	}
	return d, nil
}

// collect keeps every output line of the daemon, then waits for it to exit.
func (d *daemon) collect(out io.Reader) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		d.mu.Lock()
		d.lines = append(d.lines, sc.Text())
		d.mu.Unlock()
	}
	d.err = d.cmd.Wait()
	close(d.exited)
}

// output returns a copy of the daemon's output lines so far.
func (d *daemon) output() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.lines...)
}

func (d *daemon) pid() int { return d.cmd.Process.Pid }

// waitHealthy polls GET /health on fresh connections until one answers 200.
func (d *daemon) waitHealthy(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if r := probeOnce(d.addr, time.Second); r.err == nil && r.status == 200 {
			return nil
		}
		select {
		case <-d.exited:
			return fmt.Errorf("daemon exited before it was healthy: %v\n%s", d.err, strings.Join(d.output(), "\n"))
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("daemon not healthy on %s after %v", d.addr, limit)
}

// alive reports whether the daemon is still running.
func (d *daemon) alive() bool {
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and kills the daemon if it is still running 10 s later. It
// describes how the daemon ended.
func (d *daemon) stop() string {
	if !d.alive() {
		return fmt.Sprintf("had already exited: %v", d.err)
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
		if d.err != nil {
			return fmt.Sprintf("exited after SIGTERM: %v", d.err)
		}
		return "exit 0 after SIGTERM"
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
		return "killed: still running 10 s after SIGTERM"
	}
}
