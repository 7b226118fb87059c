// Package stats holds what the peers count the same way: the event total, the sum
// and the unique-user count behind GET /stats, and the document itself. Each peer
// keeps its own user set (the part in which they differ) and tells Counters whether
// an event's user was new.
//
// The sum is kept as float64 bits updated with a compare-and-swap loop, as the
// challenge's reference server does: it accepts any JSON number, and stays exact
// while every partial sum is an integer below 2^53 (true for the benchmark's
// values i%1000).
package stats

import (
	"math"
	"sync/atomic"
)

// Counters are safe for concurrent use; the zero value is ready.
type Counters struct {
	total       atomic.Int64
	sumBits     atomic.Uint64
	uniqueUsers atomic.Int64
}

// Add counts one event of value; newUser says its user had not been seen. Every
// update is done when Add returns, so an event whose 200 was sent after it is in
// every later Snapshot.
func (c *Counters) Add(value float64, newUser bool) {
	if newUser {
		c.uniqueUsers.Add(1)
	}
	for {
		old := c.sumBits.Load()
		next := math.Float64bits(math.Float64frombits(old) + value)
		if c.sumBits.CompareAndSwap(old, next) {
			break
		}
	}
	c.total.Add(1)
}

// Stats is the /stats document every peer serves.
type Stats struct {
	TotalRequests int64   `json:"totalRequests"`
	UniqueUsers   int64   `json:"uniqueUsers"`
	Sum           float64 `json:"sum"`
	Avg           float64 `json:"avg"`
}

// Snapshot reads the counters. The three loads are not one atomic snapshot; that is
// fine for a reader that asks after the load has stopped.
func (c *Counters) Snapshot() Stats {
	s := Stats{
		TotalRequests: c.total.Load(),
		UniqueUsers:   c.uniqueUsers.Load(),
		Sum:           math.Float64frombits(c.sumBits.Load()),
	}
	if s.TotalRequests > 0 {
		s.Avg = s.Sum / float64(s.TotalRequests)
	}
	return s
}
