package loadgen

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/hist"
)

// Config describes one load run.
type Config struct {
	Addr     string // host:port of the daemon
	Host     string // Host header value; Addr when empty
	Requests int    // n: events to send, indices 0..n-1
	Conns    int    // keep-alive connections to open
	Users    int    // distinct user ids (i % Users)
	Pipeline int    // requests in flight per connection (1 = no pipelining)
	Half     bool   // values i%1000 + 0.5 instead of i%1000
	RPS      int    // total request rate limit; 0 = unlimited
	// Batch, when above 0, sends the events Batch at a time as NDJSON POST /events
	// requests (the last one shorter); 0 sends one POST /event per event. Pipeline and
	// RPS then count requests, and every count in Result counts events.
	Batch int
}

// LatencyHighest is the largest latency (ns) the histograms resolve; larger
// ones still count and still set Max exactly.
const LatencyHighest = int64(60 * time.Second)

// Result is the outcome of a run.
type Result struct {
	// Elapsed runs from the moment every connection was open and sending
	// started to the last response; ConnectTime is the setup before it.
	Elapsed     time.Duration
	ConnectTime time.Duration
	Conns       int             // connections opened (at most one per request)
	Sent        uint64          // events written
	OK          uint64          // events answered 200 (in batch mode: with {"accepted":k} for all k)
	Non200      uint64          // events answered otherwise
	ConnErrors  uint64          // connections that failed (refused, reset, bad bytes)
	Lost        uint64          // events written but never answered
	Unsent      uint64          // events never sent because every connection had failed
	Requests    uint64          // HTTP responses parsed (one per event, or one per batch)
	Latency     *hist.Histogram // per request
}

// Errors is every failure a run counts: non-200 answers, failed
// connections and requests left unanswered or unsent.
func (r Result) Errors() uint64 { return r.Non200 + r.ConnErrors + r.Lost + r.Unsent }

// Progress is a live view of a run, safe to read from any goroutine.
type Progress struct{ run *run }

// Done is the number of events answered so far (any status).
func (p Progress) Done() uint64 {
	if p.run == nil {
		return 0
	}
	return p.run.total(func(c *counters) uint64 { return c.ok.Load() + c.non200.Load() })
}

// Errors is the number of failures counted so far.
func (p Progress) Errors() uint64 {
	if p.run == nil {
		return 0
	}
	return p.run.total(func(c *counters) uint64 {
		return c.non200.Load() + c.connErrors.Load() + c.lost.Load()
	})
}

// validate fills defaults and rejects configurations that cannot run.
func (c *Config) validate() error {
	if c.Host == "" {
		c.Host = c.Addr
	}
	c.Pipeline = max(c.Pipeline, 1)
	switch {
	case c.Addr == "":
		return errors.New("loadgen: no address")
	case c.Requests < 0:
		return fmt.Errorf("loadgen: negative request count %d", c.Requests)
	case c.Conns < 1:
		return fmt.Errorf("loadgen: need at least one connection, got %d", c.Conns)
	case c.Users < 1:
		return fmt.Errorf("loadgen: need at least one user, got %d", c.Users)
	case c.RPS < 0:
		return fmt.Errorf("loadgen: negative rate %d", c.RPS)
	case c.Batch < 0:
		return fmt.Errorf("loadgen: negative batch size %d", c.Batch)
	}
	return nil
}

// Start begins a run in the background. The returned Progress can be polled
// while wait blocks until every event was answered, every connection failed,
// or ctx ends (then the open connections are closed and their requests
// count as lost).
func Start(ctx context.Context, cfg Config) (p Progress, wait func() (Result, error), err error) {
	if err := cfg.validate(); err != nil {
		return Progress{}, nil, err
	}
	r := newRun(cfg)
	done := make(chan error, 1)
	go func() { done <- r.runGnet(ctx) }()
	wait = func() (Result, error) {
		err := <-done
		res := r.result()
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		return res, err
	}
	return Progress{run: r}, wait, nil
}

// Run is Start followed by wait.
func Run(ctx context.Context, cfg Config) (Result, error) {
	_, wait, err := Start(ctx, cfg)
	if err != nil {
		return Result{}, err
	}
	return wait()
}
