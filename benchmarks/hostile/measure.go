package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// sampleEvery is the sampling period of the daemon's memory and sockets.
const sampleEvery = 100 * time.Millisecond

// reading is one look at the daemon.
type reading struct {
	Mem     memory
	Sockets int
	Err     error
}

func read(pid int) reading {
	m, err := readMemory(pid)
	if err != nil {
		return reading{Err: err}
	}
	n, err := countSockets(fmt.Sprintf("/proc/%d/fd", pid))
	return reading{Mem: m, Sockets: n, Err: err}
}

// sampler reads the daemon every sampleEvery and keeps the peaks.
type sampler struct {
	pid  int
	stop chan struct{}
	done chan struct{}

	mu                  sync.Mutex
	peakRSS, peakHWM    int64
	peakAnon            int64
	peakSockets, nReads int
	firstErr            error
}

func startSampler(pid int) *sampler {
	s := &sampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(sampleEvery)
		defer t.Stop()
		for {
			s.add(read(pid))
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) add(r reading) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Err != nil {
		if s.firstErr == nil {
			s.firstErr = r.Err
		}
		return
	}
	s.nReads++
	s.peakRSS = max(s.peakRSS, r.Mem.RSS)
	s.peakHWM = max(s.peakHWM, r.Mem.HWM)
	s.peakAnon = max(s.peakAnon, r.Mem.Anon)
	s.peakSockets = max(s.peakSockets, r.Sockets)
}

func (s *sampler) finish() {
	close(s.stop)
	<-s.done
}

// outcome is what a scenario's clients saw.
type outcome struct {
	Lines    []string // facts, one per line ("100/100 clients got 413")
	Problems []string // expectations the daemon did not meet
}

func (o *outcome) addf(format string, args ...any) {
	o.Lines = append(o.Lines, fmt.Sprintf(format, args...))
}

func (o *outcome) problemf(format string, args ...any) {
	o.Problems = append(o.Problems, fmt.Sprintf(format, args...))
}

// scenario is one kind of hostile client.
type scenario struct {
	Name  string
	About string // one line: what the clients do and what the daemon must do
	// Attack runs the clients against addr until they are done or ctx ends, and
	// closes every connection it opened before it returns.
	Attack func(ctx context.Context, addr string) outcome
}

// result is one scenario's figures.
type result struct {
	Name, About string
	Started     time.Time
	Attack      time.Duration // how long the clients ran
	Settle      time.Duration // from their end until the socket count was back at baseline
	AfterPause  time.Duration // from settling to the "after" reading

	Before, After reading
	PeakRSS       int64 // highest VmRSS sampled every 100 ms
	PeakAnon      int64 // highest RssAnon sampled
	PeakHWM       int64 // VmHWM at the end: the true peak when HWMReset
	HWMReset      bool  // VmHWM was reset to VmRSS before the attack
	PeakSockets   int
	Probe         probeSummary
	Outcome       outcome
	DaemonAlive   bool
}

// scenarioLimit bounds every scenario's attack; settleLimit the wait after it.
const (
	scenarioLimit = 60 * time.Second
	settleLimit   = 20 * time.Second
	socketSlack   = 2 // "back at baseline": within this many sockets
)

// measure runs sc against the daemon at addr (process pid) and records the figures.
// The "after" reading is taken afterPause after the sockets settled.
func measure(ctx context.Context, addr string, pid int, alive func() bool, sc scenario, afterPause time.Duration) result {
	r := result{Name: sc.Name, About: sc.About, Started: time.Now(), AfterPause: afterPause}
	// Let the daemon close whatever came before (the start-up health check).
	time.Sleep(500 * time.Millisecond)
	r.Before = read(pid)
	r.HWMReset = resetHWM(pid) == nil
	smp := startSampler(pid)
	prb := startProber(addr, 250*time.Millisecond)

	actx, cancel := context.WithTimeout(ctx, scenarioLimit)
	start := time.Now()
	r.Outcome = sc.Attack(actx, addr)
	r.Attack = time.Since(start)
	cancel()
	r.Probe = prb.finish()

	// The peak is over the attack and the settling: closes are processed after it.
	settleStart := time.Now()
	for time.Since(settleStart) < settleLimit {
		if now := read(pid); now.Err == nil && now.Sockets <= r.Before.Sockets+socketSlack {
			break
		}
		time.Sleep(sampleEvery)
	}
	r.Settle = time.Since(settleStart)
	select {
	case <-time.After(afterPause):
	case <-ctx.Done():
	}
	smp.finish()
	r.After = read(pid)
	r.PeakRSS, r.PeakHWM, r.PeakAnon, r.PeakSockets = smp.peakRSS, smp.peakHWM, smp.peakAnon, smp.peakSockets
	r.PeakHWM = max(r.PeakHWM, r.After.Mem.HWM)
	r.DaemonAlive = alive()

	if !r.DaemonAlive {
		r.Outcome.problemf("the daemon died")
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
