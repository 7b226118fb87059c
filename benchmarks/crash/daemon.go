package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Bounds on the daemon's life cycle.
const (
	bindRetry     = 5 * time.Second       // a restart may retry binding the address this long
	slowRestart   = time.Second           // a restart slower than this is flagged
	healthTimeout = 60 * time.Second      // from exec to GET /health = 200 (a long replay included)
	healthPoll    = 5 * time.Millisecond  // restart times are measured to this
	stopGrace     = 10 * time.Second      // from SIGTERM to SIGKILL at the end of a mode
	retryPause    = 50 * time.Millisecond // between binding attempts
)

// launcher starts onemrcd with one mode's flags, always on the same address and data
// directory, its output appended to one log.
type launcher struct {
	bin, addr, dataDir, logPath string
	loops                       int
	fsync                       string // passed as -fsync when not empty
	fsyncDropped                bool   // the daemon rejected -fsync; it runs without it
}

// command is the daemon's command line as a shell would take it.
func (l *launcher) command() string {
	var b strings.Builder
	b.WriteString("onemrcd")
	for _, a := range l.args() {
		if a == "" {
			a = `""`
		}
		b.WriteString(" " + a)
	}
	return b.String()
}

func (l *launcher) args() []string {
	args := []string{"-addr", l.addr, "-admin-addr", "", "-data-dir", l.dataDir}
	if l.fsync != "" && !l.fsyncDropped {
		args = append(args, "-fsync", l.fsync)
	}
	if l.loops > 0 {
		args = append(args, "-loops", strconv.Itoa(l.loops))
	}
	return args
}

// daemon is one onemrcd process.
type daemon struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // valid after exited is closed
}

// launch is one successful start: the process and what the start took.
type launch struct {
	d           *daemon
	took        time.Duration // from the first exec to the first GET /health = 200
	bindWait    time.Duration // from the first exec to the exec that bound the address
	attempts    int           // execs that failed to bind before it
	restoreLine string        // the daemon's last log line about restoring, if any
}

// bindFailed matches the daemon's complaint when the address is still taken.
var bindFailed = regexp.MustCompile(`(?i)address already in use`)

// restoreLog matches the log lines that say what a start restored.
var restoreLog = regexp.MustCompile(`(?i)restor|replay|recover|starting empty`)

// launch starts the daemon and waits until /health answers 200. A start that fails to
// bind the address is retried for up to bindRetry; a daemon that does not know -fsync
// (exit status 2) is started again without it, and l.fsyncDropped says so.
func (l *launcher) launch(ctx context.Context) (launch, error) {
	first := time.Now()
	var attempts int
	for {
		offset := fileSize(l.logPath)
		execAt := time.Now()
		d, err := l.start()
		if err != nil {
			return launch{}, err
		}
		err = d.waitHealthy(ctx, "http://"+l.addr+"/health")
		if err == nil {
			out := readFrom(l.logPath, offset)
			return launch{d: d, took: time.Since(first), bindWait: execAt.Sub(first),
				attempts: attempts, restoreLine: lastMatch(out, restoreLog)}, nil
		}
		select {
		case <-d.exited:
		default:
			d.kill()
			return launch{}, err
		}
		out := readFrom(l.logPath, offset)
		var exit *exec.ExitError
		switch {
		case errors.As(d.waitErr, &exit) && exit.ExitCode() == 2 && !l.fsyncDropped && l.fsync != "" &&
			strings.Contains(out, "flag provided but not defined: -fsync"):
			l.fsyncDropped = true
		case bindFailed.MatchString(out) && time.Since(first) < bindRetry:
			attempts++
			time.Sleep(retryPause)
		default:
			return launch{}, fmt.Errorf("%s: %w; its output:\n%s", l.command(), err, tail(out, 2000))
		}
	}
}

func (l *launcher) start() (*daemon, error) {
	logFile, err := os.OpenFile(l.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(l.bin, l.args()...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = daemonProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", l.bin, err)
	}
	d := &daemon{cmd: cmd, exited: make(chan struct{})}
	go func() {
		d.waitErr = cmd.Wait()
		close(d.exited)
	}()
	return d, nil
}

// waitHealthy polls url until it answers 200, the daemon exits, or healthTimeout.
func (d *daemon) waitHealthy(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-d.exited:
			return fmt.Errorf("exited before /health answered: %v", d.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("/health not 200 after %v: %w", healthTimeout, ctx.Err())
		case <-time.After(healthPoll):
		}
	}
}

// kill sends SIGKILL to this process (by its PID) and waits for it.
func (d *daemon) kill() {
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.exited
}

// crash ends the process with sig and waits for it; SIGKILL follows a SIGTERM that
// has not ended it within stopGrace.
func (d *daemon) crash(sig syscall.Signal) {
	if sig == syscall.SIGKILL {
		d.kill()
		return
	}
	_ = d.cmd.Process.Signal(sig)
	select {
	case <-d.exited:
	case <-time.After(stopGrace):
		d.kill()
	}
}

// stop sends SIGTERM, then SIGKILL after stopGrace; it reports an unclean exit.
func (d *daemon) stop() error {
	select {
	case <-d.exited:
		return fmt.Errorf("daemon had already exited: %v", d.waitErr)
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
		if d.waitErr != nil {
			return fmt.Errorf("daemon exit after SIGTERM: %w", d.waitErr)
		}
		return nil
	case <-time.After(stopGrace):
		d.kill()
		return fmt.Errorf("daemon ignored SIGTERM for %v and was killed", stopGrace)
	}
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// readFrom returns the file's text from offset on (at most 1 MiB of it).
func readFrom(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	n, _ := f.ReadAt(buf, offset)
	return string(buf[:n])
}

// lastMatch returns the last line of text that re matches, without slog's time field.
func lastMatch(text string, re *regexp.Regexp) string {
	var last string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if line := sc.Text(); re.MatchString(line) {
			last = line
		}
	}
	if strings.HasPrefix(last, "time=") {
		if i := strings.IndexByte(last, ' '); i > 0 {
			last = last[i+1:]
		}
	}
	return last
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
