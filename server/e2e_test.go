package main

import (
	"bufio"
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type stats struct {
	TotalRequests int64   `json:"totalRequests"`
	UniqueUsers   int64   `json:"uniqueUsers"`
	Sum           float64 `json:"sum"`
	Avg           float64 `json:"avg"`
}

func (d *testDaemon) stats() stats {
	code, body := d.get("/stats")
	require.Equal(d.t, 200, code, body)
	var s stats
	require.NoError(d.t, json.Unmarshal([]byte(body), &s), body)
	return s
}

// TestChallengeOverLoopback is the 1MRC run scaled down: 100,000 events over 100
// keep-alive connections, userId user_(i%75000), value i%1000, then exact /stats.
func TestChallengeOverLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 100,000 requests")
	}
	d := startDaemon(t, "-loops", "2")
	const events, conns, users = 100_000, 100, 75_000
	var failures atomic.Int64
	var wg sync.WaitGroup
	for k := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := d.dial()
			br := bufio.NewReader(c)
			// Each connection sends events k, k+conns, ... and waits for every answer
			// before the next request, as the challenge's clients do.
			for i := k; i < events; i += conns {
				if _, err := c.Write(eventRequest("user_"+strconv.Itoa(i%users), strconv.Itoa(i%1000))); err != nil {
					failures.Add(1)
					return
				}
				for _, code := range readResponses(t, br, 1) {
					if code != 200 {
						failures.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	require.Zero(t, failures.Load())
	// sum of i%1000 over 100 full cycles of 0..999
	assert.Equal(t, stats{TotalRequests: events, UniqueUsers: users, Sum: 49_950_000, Avg: 499.5}, d.stats())
	code, _ := d.get("/health")
	assert.Equal(t, 200, code)
}

// The challenge's Go clients send i%1000 + 0.5: the sum stays exact.
func TestHalfValuesSumExactly(t *testing.T) {
	d := startDaemon(t)
	const events = 20_000
	c := d.dial()
	br := bufio.NewReader(c)
	var batch []byte
	for i := range events {
		batch = append(batch, eventRequest("user_"+strconv.Itoa(i%75000), strconv.Itoa(i%1000)+".5")...)
		if (i+1)%500 == 0 {
			_, err := c.Write(batch)
			require.NoError(t, err)
			requireOnlyOK(t, readResponses(t, br, 500))
			batch = batch[:0]
		}
	}
	assert.Equal(t, stats{TotalRequests: events, UniqueUsers: events, Sum: 10_000_000, Avg: 500}, d.stats())
}

// Once a client has its 200, a /stats that starts afterwards on another connection, which
// may sit on another loop, includes the event.
func TestAcknowledgedEventIsVisibleEverywhere(t *testing.T) {
	d := startDaemon(t, "-loops", "4")
	writer := d.dial()
	br := bufio.NewReader(writer)
	for i := 1; i <= 200; i++ {
		_, err := writer.Write(eventRequest("v"+strconv.Itoa(i), "1"))
		require.NoError(t, err)
		requireOnlyOK(t, readResponses(t, br, 1))
		require.Equal(t, int64(i), d.stats().TotalRequests, "after event %d", i)
	}
}

func TestGracefulShutdownLogsFinalStats(t *testing.T) {
	d := startDaemon(t)
	c := d.dial()
	_, err := c.Write(append(eventRequest("a", "1.25"), eventRequest("b", "2")...))
	require.NoError(t, err)
	requireOnlyOK(t, readResponses(t, bufio.NewReader(c), 2))
	start := time.Now()
	require.Equal(t, 0, d.stop())
	assert.Less(t, time.Since(start), 10*time.Second)
	logs := d.logs.String()
	assert.Contains(t, logs, "onemrcd listening")
	assert.Contains(t, logs, "totalRequests=2")
	assert.Contains(t, logs, "sum=3.25")
}
