package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
)

// sampleEvery is the sampling period of the daemon's memory and sockets.
const sampleEvery = 100 * time.Millisecond

// reading is one look at a server: the sum over its processes.
type reading struct {
	procstat.Sample
	Sockets int
	Err     error
}

func read(pids []int) reading {
	var sum reading
	for _, pid := range pids {
		s, err := procstat.Read(pid)
		if err != nil {
			return reading{Err: err}
		}
		n, err := procstat.Sockets(pid)
		if err != nil {
			return reading{Err: err}
		}
		sum.CPU += s.CPU
		sum.RSS += s.RSS
		sum.PeakRSS += s.PeakRSS
		sum.Anon += s.Anon
		sum.Sockets += n
	}
	return sum
}

// sampler reads the server every sampleEvery and keeps the peaks. It stops the attack
// (cancel) when the server's VmRSS passes maxRSS or the machine's TCP buffers pass
// maxTCPMem pages, when those are above 0.
type sampler struct {
	pids              []int
	maxRSS, maxTCPMem int64
	cancel            func()
	stop              chan struct{}
	done              chan struct{}

	mu                  sync.Mutex
	peakRSS, peakHWM    int64
	peakAnon            int64
	peakSockets, nReads int
	peakTCPMem          int64
	tripped             string // why the attack was stopped early
	firstErr            error
}

func startSampler(pids []int, g guards, cancel func()) *sampler {
	s := &sampler{pids: pids, maxRSS: g.MaxRSS, maxTCPMem: g.MaxTCPMem, cancel: cancel,
		stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(sampleEvery)
		defer t.Stop()
		for {
			tcp, _ := procstat.TCPMemPages()
			s.add(read(pids), tcp)
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) add(r reading, tcpMem int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peakTCPMem = max(s.peakTCPMem, tcpMem)
	if s.maxTCPMem > 0 && tcpMem > s.maxTCPMem && s.tripped == "" {
		s.tripped = fmt.Sprintf("the machine's TCP buffers reached %d pages, past -max-tcp-mem %d", tcpMem, s.maxTCPMem)
		s.cancel()
	}
	if r.Err != nil {
		if s.firstErr == nil {
			s.firstErr = r.Err
		}
		return
	}
	s.nReads++
	s.peakRSS = max(s.peakRSS, r.RSS)
	s.peakHWM = max(s.peakHWM, r.PeakRSS)
	s.peakAnon = max(s.peakAnon, r.Anon)
	s.peakSockets = max(s.peakSockets, r.Sockets)
	if s.maxRSS > 0 && r.RSS > s.maxRSS && s.tripped == "" {
		s.tripped = fmt.Sprintf("VmRSS reached %s MiB, past -max-rss %s MiB", mib(r.RSS), mib(s.maxRSS))
		s.cancel()
	}
}

// guards bound what an attack may do to the machine (-max-rss, -max-tcp-mem).
type guards struct {
	MaxRSS    int64 // bytes of the server's VmRSS
	MaxTCPMem int64 // pages of TCP buffers, machine-wide (/proc/net/sockstat)
}

func (s *sampler) finish() {
	close(s.stop)
	<-s.done
}

// outcome is what a scenario's clients saw.
type outcome struct {
	Lines    []string // facts, one per line ("100/100 clients got 413")
	Figures  []figure // the scenario's own figures, set side by side across servers
	Problems []string // expectations the server did not meet
	// PerConn is how many connections the server's CPU time is divided by, for the
	// scenarios that measure CPU per connection; 0 for the others.
	PerConn int
}

// figure is one named value of a scenario ("innocent connections", "1234").
type figure struct{ Name, Value string }

func (o *outcome) addf(format string, args ...any) {
	o.Lines = append(o.Lines, fmt.Sprintf(format, args...))
}

func (o *outcome) figuref(name, format string, args ...any) {
	o.Figures = append(o.Figures, figure{name, fmt.Sprintf(format, args...)})
}

func (o *outcome) problemf(format string, args ...any) {
	o.Problems = append(o.Problems, fmt.Sprintf(format, args...))
}

// scenario is one kind of hostile client.
type scenario struct {
	Name  string
	About string // one line: what the clients do and what the server must do
	// Key names the scenario's README block ("scenario " + Key); empty means Name.
	Key string
	// DaemonArgs are added to the command line of the onemrcd it starts.
	DaemonArgs []string
	// Nginx says the attack means the same against nginx `return 200`, which then runs
	// it too.
	Nginx bool
	// Rounds repeats the attack on every server, alternating, on fresh servers each
	// time; 0 means 1.
	Rounds int
	// Attack runs the clients against addr until they are done or ctx ends, and
	// closes every connection it opened before it returns.
	Attack func(ctx context.Context, addr string) outcome
}

func (sc scenario) key() string {
	if sc.Key != "" {
		return sc.Key
	}
	return sc.Name
}

// result is one attack's figures on one server.
type result struct {
	Name, About string
	Target      string // the server's label: onemrcd, onemrcd-old, nginx
	Round       int    // 1-based
	Started     time.Time
	Machine     string        // machine() when the attack started
	Attack      time.Duration // how long the clients ran
	Settle      time.Duration // from their end until the socket count was back at baseline
	AfterPause  time.Duration // from settling to the "after" reading

	Before, After reading
	PeakRSS       int64 // highest VmRSS sampled every 100 ms
	PeakAnon      int64 // highest RssAnon sampled
	PeakHWM       int64 // VmHWM at the end: the true peak when HWMReset
	HWMReset      bool  // VmHWM was reset to VmRSS before the attack
	PeakSockets   int
	PeakTCPMem    int64         // pages of TCP buffers machine-wide, highest sampled
	CPU           time.Duration // utime+stime from "before" until the sockets settled
	CPUErr        error
	Tripped       string // a guard stopped the attack early: why
	Probe         probeSummary
	Outcome       outcome
	DaemonAlive   bool
}

// cpuPerConn is the CPU time per connection of a scenario that divides it; 0 if none.
func (r result) cpuPerConn() time.Duration {
	if r.Outcome.PerConn <= 0 || r.CPUErr != nil {
		return 0
	}
	return r.CPU / time.Duration(r.Outcome.PerConn)
}

// scenarioLimit bounds every scenario's attack; settleLimit the wait after it.
const (
	scenarioLimit = 60 * time.Second
	settleLimit   = 20 * time.Second
	socketSlack   = 2 // "back at baseline": within this many sockets
)

// target is one server under attack: its address, the processes whose /proc figures
// are summed, and how to tell it is still running.
type target struct {
	Label string
	Addr  string
	PIDs  []int
	Alive func() bool
}

// measure runs sc against t and records the figures. The "after" reading is taken
// afterPause after the sockets settled.
func measure(ctx context.Context, t target, sc scenario, afterPause time.Duration, g guards) result {
	r := result{Name: sc.Name, About: sc.About, Target: t.Label, Started: time.Now(), Machine: machine(), AfterPause: afterPause}
	// Let the server close whatever came before (the start-up health check).
	time.Sleep(500 * time.Millisecond)
	r.Before = read(t.PIDs)
	r.HWMReset = true
	for _, pid := range t.PIDs {
		r.HWMReset = r.HWMReset && procstat.ResetPeak(pid) == nil
	}
	actx, cancel := context.WithTimeout(ctx, scenarioLimit)
	smp := startSampler(t.PIDs, g, cancel)
	prb := startProber(t.Addr, 250*time.Millisecond)

	start := time.Now()
	r.Outcome = sc.Attack(actx, t.Addr)
	r.Attack = time.Since(start)
	cancel()
	r.Probe = prb.finish()

	// The peak is over the attack and the settling: closes are processed after it.
	settleStart := time.Now()
	for time.Since(settleStart) < settleLimit {
		if now := read(t.PIDs); now.Err == nil && now.Sockets <= r.Before.Sockets+socketSlack {
			break
		}
		time.Sleep(sampleEvery)
	}
	r.Settle = time.Since(settleStart)
	if settled := read(t.PIDs); settled.Err == nil && r.Before.Err == nil {
		r.CPU = settled.CPU - r.Before.CPU
	} else {
		r.CPUErr = errors.Join(settled.Err, r.Before.Err)
	}
	select {
	case <-time.After(afterPause):
	case <-ctx.Done():
	}
	smp.finish()
	r.After = read(t.PIDs)
	r.PeakRSS, r.PeakHWM, r.PeakAnon, r.PeakSockets = smp.peakRSS, smp.peakHWM, smp.peakAnon, smp.peakSockets
	r.PeakTCPMem, r.Tripped = smp.peakTCPMem, smp.tripped
	r.PeakHWM = max(r.PeakHWM, r.After.PeakRSS)
	r.DaemonAlive = t.Alive()

	if !r.DaemonAlive {
		r.Outcome.problemf("the server died")
	}
	if r.Tripped != "" {
		r.Outcome.problemf("attack stopped early: %s", r.Tripped)
	}
	if r.Probe.OK < r.Probe.Total {
		r.Outcome.problemf("fresh clients: %d of %d probes failed", r.Probe.Total-r.Probe.OK, r.Probe.Total)
	}
	if r.After.Err == nil && r.Before.Err == nil && r.After.Sockets > r.Before.Sockets+socketSlack {
		r.Outcome.problemf("%d sockets still open %v after the attack (baseline %d)",
			r.After.Sockets, r.Settle+r.AfterPause, r.Before.Sockets)
	}
	if smp.firstErr != nil {
		r.Outcome.addf("sampling error: %v", smp.firstErr)
	}
	return r
}
