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
	"time"
)

// probeTimeout is how long a fresh client waits before the probe counts as failed.
const probeTimeout = 5 * time.Second

// prober checks every interval, on a fresh connection, that the daemon still
// answers a normal client while a scenario attacks it. The probes run in a child
// process (this program with -probe-child): in the attacking process they would
// queue behind thousands of attacking goroutines and charge that to the daemon.
type prober struct {
	cmd   *exec.Cmd
	stdin io.Closer
	stop  chan struct{} // in-process fallback only
	done  chan struct{} // closed once every result was collected

	mu      sync.Mutex
	results []probeResult
	note    string // why the in-process fallback runs, if it does
}

func startProber(addr string, interval time.Duration) *prober {
	p := &prober{done: make(chan struct{})}
	exe, err := os.Executable()
	if err == nil {
		p.cmd = exec.Command(exe, "-probe-child", addr, "-probe-interval", interval.String())
		p.cmd.Stderr = os.Stderr
		var in io.WriteCloser
		var out io.ReadCloser
		if in, err = p.cmd.StdinPipe(); err == nil {
			if out, err = p.cmd.StdoutPipe(); err == nil {
				err = p.cmd.Start()
			}
		}
		if err == nil {
			p.stdin = in
			go p.collect(out)
			return p
		}
	}
	p.cmd, p.note = nil, fmt.Sprintf("probes ran inside the attacking process (%v)", err)
	p.stop = make(chan struct{})
	go func() {
		defer close(p.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			p.add(probeOnce(addr, probeTimeout))
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *prober) add(r probeResult) {
	p.mu.Lock()
	p.results = append(p.results, r)
	p.mu.Unlock()
}

// collect reads the child's result lines until it exits.
func (p *prober) collect(out io.Reader) {
	defer close(p.done)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		r, err := parseProbeLine(sc.Text())
		if err != nil {
			r = probeResult{err: err}
		}
		p.add(r)
	}
}

// finish stops the probes and summarises them.
func (p *prober) finish() probeSummary {
	if p.cmd == nil {
		close(p.stop)
		<-p.done
	} else {
		_ = p.stdin.Close() // the child stops after its probe in flight
		select {
		case <-p.done:
		case <-time.After(probeTimeout + 2*time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		_ = p.cmd.Wait()
	}
	s := summarizeProbes(p.results)
	s.Note = p.note
	return s
}

// probeChild is the child's side: probe every interval and print one line per
// probe until stdin closes.
func probeChild(addr string, interval time.Duration) {
	stop := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stop)
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fmt.Println(formatProbeLine(probeOnce(addr, probeTimeout)))
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// A probe line is "status connectNs latencyNs quotedError".
func formatProbeLine(r probeResult) string {
	e := ""
	if r.err != nil {
		e = r.err.Error()
	}
	return fmt.Sprintf("%d %d %d %s", r.status, r.connect, r.latency, strconv.Quote(e))
}

func parseProbeLine(line string) (probeResult, error) {
	f := strings.SplitN(line, " ", 4)
	if len(f) != 4 {
		return probeResult{}, fmt.Errorf("probe child: bad line %q", line)
	}
	status, err1 := strconv.Atoi(f[0])
	connect, err2 := strconv.ParseInt(f[1], 10, 64)
	latency, err3 := strconv.ParseInt(f[2], 10, 64)
	msg, err4 := strconv.Unquote(f[3])
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return probeResult{}, fmt.Errorf("probe child: bad line %q", line)
	}
	r := probeResult{status: status, connect: time.Duration(connect), latency: time.Duration(latency)}
	if msg != "" {
		r.err = probeError(msg)
	}
	return r, nil
}

// probeError carries a child's error text.
type probeError string

func (e probeError) Error() string { return string(e) }
