package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/hist"
	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
)

// pingStats is what a PING prober saw: how long any other client of Redis waits for an
// answer while a node resyncs (Redis runs one script at a time, so a long script shows
// up here whole).
type pingStats struct {
	lat     *hist.Histogram // answer times, ns; failed PINGs count the time to the failure
	worstAt time.Duration   // when the worst answer was asked, since the prober started
	errors  int
}

// probePing sends PING every interval on a connection of its own until ctx ends. A PING
// slower than the interval delays the next one (no queue of PINGs builds up behind a
// stall).
func probePing(ctx context.Context, addr string, every time.Duration, written *atomic.Int64) pingStats {
	c := newRedisClient(addr, written)
	defer c.Close()
	ps := pingStats{lat: hist.New(int64(10 * time.Second))}
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ps
		case <-tick.C:
		}
		t := time.Now()
		err := c.Ping(ctx).Err()
		if ctx.Err() != nil {
			return ps // the PING the end interrupted is no answer time
		}
		took := time.Since(t)
		if err != nil {
			ps.errors++
		}
		if int64(took) > ps.lat.Max() {
			ps.worstAt = t.Sub(start)
		}
		ps.lat.Record(int64(took))
	}
}

// peakRSS samples the resident set of process pid every interval until ctx ends and
// returns the largest (VmHWM would include every peak since the process started).
func peakRSS(ctx context.Context, pid int, every time.Duration) int64 {
	var peak int64
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if s, err := procstat.Read(pid); err == nil {
			peak = max(peak, s.RSS)
		}
		select {
		case <-ctx.Done():
			return peak
		case <-tick.C:
		}
	}
}
