package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// Bounds on the daemon's life cycle.
const (
	healthTimeout = 30 * time.Second // from start to the first GET /health = 200
	stopGrace     = 10 * time.Second // from SIGTERM to SIGKILL
)

// daemon is an onemrcd process this run started.
type daemon struct {
	cmd     *exec.Cmd
	addr    string
	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // valid after exited is closed
	log     *os.File
}

// startDaemon runs bin on addr with its output appended to logPath. The
// admin listener is disabled so several runs (or a developer's own daemon)
// never fight over its fixed port.
func startDaemon(bin, addr string, loops int, extra []string, logPath string) (*daemon, error) {
	args := []string{"-addr", addr, "-admin-addr="}
	if loops > 0 {
		args = append(args, "-loops", strconv.Itoa(loops))
	}
	args = append(args, extra...)
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = daemonProcAttr()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	d := &daemon{cmd: cmd, addr: addr, exited: make(chan struct{}), log: logFile}
	go func() {
		d.waitErr = cmd.Wait()
		close(d.exited)
	}()
	return d, nil
}

func (d *daemon) pid() int { return d.cmd.Process.Pid }

// waitHealthy polls GET /health until it answers 200, the daemon exits, or
// the health timeout (or ctx) ends.
func (d *daemon) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if status, err := getStatus(ctx, client, "http://"+d.addr+"/health"); err == nil && status == http.StatusOK {
			return nil
		}
		select {
		case <-d.exited:
			return fmt.Errorf("daemon exited before it was healthy: %v", d.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("daemon not healthy on %s after %v: %w", d.addr, healthTimeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM, waits up to the grace period, then kills. It
// returns a line for the report and an error when the daemon had to be
// killed or exited with a failure status.
func (d *daemon) stop() (string, error) {
	defer d.log.Close()
	select {
	case <-d.exited:
		return "", fmt.Errorf("daemon had already exited: %v", d.waitErr)
	default:
	}
	start := time.Now()
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
		took := time.Since(start).Round(time.Millisecond)
		if d.waitErr != nil {
			return fmt.Sprintf("stopped by SIGTERM in %v: %v", took, d.waitErr),
				fmt.Errorf("daemon exit after SIGTERM: %w", d.waitErr)
		}
		return fmt.Sprintf("stopped by SIGTERM in %v, exit 0", took), nil
	case <-time.After(stopGrace):
		_ = d.cmd.Process.Kill()
		<-d.exited
		return fmt.Sprintf("killed: still running %v after SIGTERM", stopGrace),
			fmt.Errorf("daemon ignored SIGTERM for %v and was killed", stopGrace)
	}
}
