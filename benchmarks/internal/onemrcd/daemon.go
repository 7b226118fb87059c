package onemrcd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Bounds on a daemon's life cycle. The health bound covers a cluster node's join: up to
// a few seconds for a new user-hash seed to settle, and the wait for a lease a crashed
// run left behind.
const (
	healthLimit = 60 * time.Second // from exec to the first GET /health = 200
	stopGrace   = 10 * time.Second // from SIGTERM to SIGKILL
)

// Daemon is an onemrcd process a benchmark started.
type Daemon struct {
	Addr    string // its HTTP listener, 127.0.0.1:port
	LogPath string // its stdout and stderr

	cmd     *exec.Cmd
	log     *os.File
	exited  chan struct{} // closed once the process was waited for
	waitErr error         // its exit status; valid once exited is closed
}

// Start runs bin on a free loopback port with its output appended to logPath, and
// returns once GET /health answers 200 (within ctx and healthLimit). The admin listener
// is off unless args name one ("-admin-addr" later on the command line wins), so that
// several daemons never fight over its fixed default port. The kernel kills the daemon
// if the benchmark dies without stopping it (Linux).
func Start(ctx context.Context, bin string, args []string, logPath string) (*Daemon, error) {
	addr, err := FreeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"-addr", addr, "-admin-addr="}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = ChildProcAttr()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	d := &Daemon{Addr: addr, LogPath: logPath, cmd: cmd, log: logFile, exited: make(chan struct{})}
	go func() {
		d.waitErr = cmd.Wait()
		close(d.exited)
	}()
	if err := d.waitHealthy(ctx); err != nil {
		_ = d.Stop()
		return nil, err
	}
	return d, nil
}

// PID is the daemon's process id.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// waitHealthy polls GET /health until it answers 200, the daemon exits, or ctx or
// healthLimit ends.
func (d *Daemon) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, healthLimit)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+d.Addr+"/health", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-d.exited:
			return fmt.Errorf("onemrcd exited before it was healthy (%v); its output: %s", d.waitErr, d.LogPath)
		case <-ctx.Done():
			return fmt.Errorf("onemrcd not healthy on %s: %w; its output: %s", d.Addr, ctx.Err(), d.LogPath)
		case <-tick.C:
		}
	}
}

// Stop sends SIGTERM and kills the daemon if it still runs stopGrace later. It fails if
// the daemon had already exited, had to be killed, or exited with a failure status.
func (d *Daemon) Stop() error {
	defer d.log.Close()
	select {
	case <-d.exited:
		return fmt.Errorf("onemrcd had already exited: %v", d.waitErr)
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
		if d.waitErr != nil {
			return fmt.Errorf("onemrcd exit after SIGTERM: %w", d.waitErr)
		}
		return nil
	case <-time.After(stopGrace):
		_ = d.cmd.Process.Kill()
		<-d.exited
		return errors.New("onemrcd ignored SIGTERM for " + stopGrace.String() + " and was killed")
	}
}
