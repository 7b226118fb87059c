package main

import (
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
)

// userShards spreads the user set over this many mutex-guarded maps, so
// concurrent handlers rarely wait on one another. A power of two: the shard
// is the hash's low bits.
const userShards = 64

// userShard is one lock and its map, padded to its own cache lines so two
// shards' locks never share one.
type userShard struct {
	mu    sync.Mutex
	users map[string]struct{}
	_     [64 - 8 - 8]byte
}

// tally is the peer's whole state, safe for concurrent use: fasthttp runs
// handlers on many worker goroutines.
//
// The sum is kept as float64 bits updated with a compare-and-swap loop (the
// same choice as the nethttp peer): exact while every partial sum is an
// integer below 2^53, as the benchmark's values i%1000 are.
type tally struct {
	total       atomic.Int64
	sumBits     atomic.Uint64
	uniqueUsers atomic.Int64
	seed        maphash.Seed
	shards      [userShards]userShard
}

func newTally() *tally {
	t := &tally{seed: maphash.MakeSeed()}
	for i := range t.shards {
		t.shards[i].users = make(map[string]struct{})
	}
	return t
}

// record counts one event; userID must not alias a buffer fasthttp reuses
// (it is kept in the set). All updates finish before the handler returns, so
// an event whose 200 was sent is in every later /stats.
func (t *tally) record(userID string, value float64) {
	shard := &t.shards[maphash.String(t.seed, userID)&(userShards-1)]
	shard.mu.Lock()
	_, seen := shard.users[userID]
	if !seen {
		shard.users[userID] = struct{}{}
	}
	shard.mu.Unlock()
	if !seen {
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

// snapshot reads the counters (not as one atomic snapshot; fine once the
// load has stopped).
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
