package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
)

// Bounds on the daemon's life cycle.
const (
	bindRetry     = 5 * time.Second       // a restart may retry binding the address this long
	slowRestart   = time.Second           // a restart slower than this is flagged
	healthTimeout = 60 * time.Second      // from exec to GET /health = 200 (a long replay included)
	healthPoll    = 5 * time.Millisecond  // restart times are measured to this
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

// launch is one successful start: the process and what the start took.
type launch struct {
	d           *onemrcd.Process
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
		d, err := onemrcd.StartProcess(l.bin, l.args(), []string{onemrcd.NoDrain}, l.logPath)
		if err != nil {
			return launch{}, err
		}
		err = waitHealthy(ctx, d, "http://"+l.addr+"/health")
		if err == nil {
			out := readFrom(l.logPath, offset)
			return launch{d: d, took: time.Since(first), bindWait: execAt.Sub(first),
				attempts: attempts, restoreLine: lastMatch(out, restoreLog)}, nil
		}
		if d.Alive() {
			d.Kill()
			return launch{}, err
		}
		out := readFrom(l.logPath, offset)
		var exit *exec.ExitError
		switch {
		case errors.As(d.ExitErr(), &exit) && exit.ExitCode() == 2 && !l.fsyncDropped && l.fsync != "" &&
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

// waitHealthy polls url until it answers 200, d exits, or healthTimeout.
func waitHealthy(ctx context.Context, d *onemrcd.Process, url string) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	return d.WaitHTTP(ctx, url, healthPoll)
}

// crash ends d with sig and waits for it; SIGKILL follows a SIGTERM that has not
// ended it within the grace onemrcd.Process.Stop allows.
func crash(d *onemrcd.Process, sig syscall.Signal) {
	if sig == syscall.SIGKILL {
		d.Kill()
		return
	}
	_ = d.Stop()
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
