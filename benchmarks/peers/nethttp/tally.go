package main

import (
	"math"
	"sync"
	"sync/atomic"
)

// tally is the peer's whole state. Every field is safe for concurrent use:
// net/http runs each connection on its own goroutine.
//
// The sum is kept as float64 bits updated with a compare-and-swap loop, as the
// challenge's reference does: it accepts any JSON number, and stays exact
// while every partial sum is an integer below 2^53 (true for the benchmark's
// values i%1000). Users live in a sync.Map; a separate counter bumped on the
// first LoadOrStore of a key makes /stats O(1) instead of a Range.
type tally struct {
	total       atomic.Int64
	sumBits     atomic.Uint64
	uniqueUsers atomic.Int64
	users       sync.Map // userId -> struct{}
}

// record counts one event. All three updates finish before the handler
// returns, so an event whose 200 was sent is in every later /stats.
func (t *tally) record(userID string, value float64) {
	if _, loaded := t.users.LoadOrStore(userID, struct{}{}); !loaded {
		t.uniqueUsers.Add(1)
	}
	for {
		old := t.sumBits.Load()
		next := math.Float64bits(math.Float64frombits(old) + value)
		if t.sumBits.CompareAndSwap(old, next) {
			break
		}
	}
	t.total.Add(1)
}

// statsBody is the /stats document.
type statsBody struct {
	TotalRequests int64   `json:"totalRequests"`
	UniqueUsers   int64   `json:"uniqueUsers"`
	Sum           float64 `json:"sum"`
	Avg           float64 `json:"avg"`
}

// snapshot reads the counters. The three loads are not one atomic snapshot;
// that is fine for a reader that asks after the load has stopped.
func (t *tally) snapshot() statsBody {
	s := statsBody{
		TotalRequests: t.total.Load(),
		UniqueUsers:   t.uniqueUsers.Load(),
		Sum:           math.Float64frombits(t.sumBits.Load()),
	}
	if s.TotalRequests > 0 {
		s.Avg = s.Sum / float64(s.TotalRequests)
	}
	return s
}
