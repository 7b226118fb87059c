package main

import (
	"hash/maphash"
	"sync"

	"github.com/onemrc/onemrc/benchmarks/peers/internal/stats"
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
// handlers on many worker goroutines. The counters are the peers' shared ones;
// users live in userShards mutex-guarded maps.
type tally struct {
	stats.Counters
	seed   maphash.Seed
	shards [userShards]userShard
}

func newTally() *tally {
	t := &tally{seed: maphash.MakeSeed()}
	for i := range t.shards {
		t.shards[i].users = make(map[string]struct{})
	}
	return t
}

// record counts one event; userID must not alias a buffer fasthttp reuses (it is
// kept in the set).
func (t *tally) record(userID string, value float64) {
	shard := &t.shards[maphash.String(t.seed, userID)&(userShards-1)]
	shard.mu.Lock()
	_, seen := shard.users[userID]
	if !seen {
		shard.users[userID] = struct{}{}
	}
	shard.mu.Unlock()
	t.Add(value, !seen)
}
