package loadgen

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wantEvents is the multiset of events 0..n-1.
func wantEvents(n, users int, half bool) map[eventKey]int {
	enc := NewEncoder("x", users, half)
	want := map[eventKey]int{}
	for i := range uint64(n) {
		u, v := enc.Event(i)
		want[eventKey{u, v}]++
	}
	return want
}

func TestEveryEventArrivesExactlyOnce(t *testing.T) {
	tests := []struct {
		n, conns, users, pipeline int
		half                      bool
	}{
		{n: 5_000, conns: 1, users: 75_000, pipeline: 1},
		{n: 20_000, conns: 7, users: 333, pipeline: 1, half: true},
		{n: 20_000, conns: 100, users: 75_000, pipeline: 1},
		{n: 20_000, conns: 50, users: 75_000, pipeline: 8},
		{n: 20_000, conns: 200, users: 1_000, pipeline: 8, half: true},
		{n: 5, conns: 64, users: 3, pipeline: 8}, // more connections than events
		{n: 0, conns: 4, users: 10, pipeline: 1},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("n=%d/c=%d/u=%d/p=%d/half=%v", tt.n, tt.conns, tt.users, tt.pipeline, tt.half)
		t.Run(name, func(t *testing.T) {
			srv := startTestServer(t, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			res, err := Run(ctx, Config{
				Addr: srv.addr(), Requests: tt.n, Conns: tt.conns, Users: tt.users,
				Pipeline: tt.pipeline, Half: tt.half,
			})
			require.NoError(t, err, "after %v: %+v", time.Since(start), res)
			assert.Equal(t, uint64(tt.n), res.OK)
			assert.Equal(t, uint64(tt.n), res.Sent)
			assert.Zero(t, res.Errors())
			assert.Equal(t, uint64(tt.n), res.Latency.Count())

			srv.mu.Lock()
			defer srv.mu.Unlock()
			assert.Empty(t, srv.bad)
			assert.Equal(t, int64(tt.n), srv.requests.Load())
			assert.Equal(t, wantEvents(tt.n, tt.users, tt.half), srv.events)
		})
	}
}

func TestProgressReportsTheFinalCounts(t *testing.T) {
	srv := startTestServer(t, func(s *testServer) { s.answer400Every = 100 })
	p, wait, err := Start(context.Background(), Config{Addr: srv.addr(), Requests: 3_000, Conns: 10, Users: 10, Pipeline: 2})
	require.NoError(t, err)
	res, err := wait()
	require.NoError(t, err)
	assert.Equal(t, uint64(3_000), p.Done())
	assert.Equal(t, uint64(30), p.Errors())
	assert.Equal(t, uint64(30), res.Errors())
	assert.Greater(t, res.Elapsed, time.Duration(0))
}

func TestNon200AnswersCountAsErrors(t *testing.T) {
	for _, pipeline := range []int{1, 8} {
		t.Run(fmt.Sprintf("p=%d", pipeline), func(t *testing.T) {
			srv := startTestServer(t, func(s *testServer) { s.answer400Every = 10 })
			res, err := Run(context.Background(), Config{
				Addr: srv.addr(), Requests: 2_000, Conns: 8, Users: 100, Pipeline: pipeline,
			})
			require.NoError(t, err)
			assert.Equal(t, uint64(200), res.Non200)
			assert.Equal(t, uint64(1_800), res.OK)
			assert.Equal(t, uint64(200), res.Errors())
			assert.Zero(t, res.ConnErrors)
		})
	}
}

func TestServerClosingConnectionsCountsErrorsAndEnds(t *testing.T) {
	for _, pipeline := range []int{1, 8} {
		t.Run(fmt.Sprintf("p=%d", pipeline), func(t *testing.T) {
			// Every connection is dropped at its 5th request: the run must
			// end by itself with every failure accounted for.
			srv := startTestServer(t, func(s *testServer) { s.closeAfter = 5 })
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			const n, conns = 1_000, 4
			res, err := Run(ctx, Config{
				Addr: srv.addr(), Requests: n, Conns: conns, Users: 10, Pipeline: pipeline,
			})
			require.NoError(t, err, "the run must end before the deadline")
			assert.Equal(t, uint64(conns), res.ConnErrors)
			// Closing a socket with unread requests resets it, which may
			// discard answers already sent: at most 4 per connection arrive.
			assert.LessOrEqual(t, res.OK, uint64(conns*4))
			assert.Zero(t, res.Non200)
			assert.Equal(t, uint64(n), res.OK+res.Lost+res.Unsent, "every event is answered, lost or unsent")
			assert.Greater(t, res.Errors(), uint64(0))
		})
	}
}

func TestConnectionRefusedFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := Run(ctx, Config{Addr: addr, Requests: 100, Conns: 3, Users: 10})
	require.NoError(t, err)
	assert.Equal(t, uint64(3), res.ConnErrors)
	assert.Equal(t, uint64(100), res.Unsent)
	assert.Zero(t, res.OK)
}

func TestCancelEndsARunAgainstASilentServer(t *testing.T) {
	// The server accepts and reads but never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	hold := make(chan struct{})
	defer close(hold)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = c.Read(make([]byte, 1<<16))
				<-hold
			}()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res, err := Run(ctx, Config{Addr: ln.Addr().String(), Requests: 100, Conns: 2, Users: 10, Pipeline: 4})
	require.ErrorIs(t, err, context.DeadlineExceeded, "%+v", res)
	assert.Equal(t, uint64(8), res.Lost)
	assert.Equal(t, uint64(2), res.ConnErrors)
	assert.Equal(t, uint64(92), res.Unsent)
}

func TestRateLimitHoldsTheRate(t *testing.T) {
	srv := startTestServer(t, nil)
	start := time.Now()
	res, err := Run(context.Background(), Config{
		Addr: srv.addr(), Requests: 600, Conns: 10, Users: 10, RPS: 2_000,
	})
	require.NoError(t, err)
	assert.Equal(t, uint64(600), res.OK)
	// 600 requests at 2,000/s need at least 0.3 s minus the 10 ms burst.
	assert.GreaterOrEqual(t, time.Since(start), 280*time.Millisecond)
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no address", Config{Requests: 1, Conns: 1, Users: 1}},
		{"negative n", Config{Addr: "x:1", Requests: -1, Conns: 1, Users: 1}},
		{"no connections", Config{Addr: "x:1", Requests: 1, Users: 1}},
		{"no users", Config{Addr: "x:1", Requests: 1, Conns: 1}},
		{"negative rate", Config{Addr: "x:1", Requests: 1, Conns: 1, Users: 1, RPS: -5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), tt.cfg)
			require.Error(t, err)
		})
	}
}
