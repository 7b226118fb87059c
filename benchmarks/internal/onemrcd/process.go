package onemrcd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// stopGrace bounds a Stop: from SIGTERM to SIGKILL.
const stopGrace = 10 * time.Second

// Process is a child process a benchmark started (a daemon, a redis-server), its
// stdout and stderr appended to a log file. The kernel kills it if the benchmark dies
// without stopping it (Linux).
type Process struct {
	LogPath string // its stdout and stderr

	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process was waited for
	waitErr error         // its exit status; valid once exited is closed
}

// StartProcess runs bin with args, env added to this process's environment, and its
// output appended to logPath. It does not wait for anything.
func StartProcess(bin string, args, env []string, logPath string) (*Process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(bin, args...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Process{LogPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// PID is the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited is closed once the process has exited and was waited for.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// ExitErr is the exit status as exec reports it (nil: exit 0); valid once Exited is
// closed.
func (p *Process) ExitErr() error {
	<-p.exited
	return p.waitErr
}

// Alive reports whether the process still runs.
func (p *Process) Alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL, as a crash would, and waits for the process to exit.
func (p *Process) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// Stop sends SIGTERM and kills the process if it still runs stopGrace later. It fails
// if the process had already exited, had to be killed, or exited with a failure status.
func (p *Process) Stop() error {
	if !p.Alive() {
		return fmt.Errorf("%s had already exited: %v", p.name(), p.waitErr)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.waitErr != nil {
			return fmt.Errorf("%s exit after SIGTERM: %w", p.name(), p.waitErr)
		}
		return nil
	case <-time.After(stopGrace):
		p.Kill()
		return errors.New(p.name() + " ignored SIGTERM for " + stopGrace.String() + " and was killed")
	}
}

// WaitHTTP polls GET url every poll, each on a fresh connection (none is left open
// to count against the server), until it answers 200, the process exits, or ctx ends.
func (p *Process) WaitHTTP(ctx context.Context, url string, poll time.Duration) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before %s answered 200 (%v); its output: %s", p.name(), url, p.waitErr, p.LogPath)
		case <-ctx.Done():
			return fmt.Errorf("%s: no 200 from %s: %w; its output: %s", p.name(), url, ctx.Err(), p.LogPath)
		case <-time.After(poll):
		}
	}
}

// name is the program's file name, for errors.
func (p *Process) name() string { return filepath.Base(p.cmd.Path) }
