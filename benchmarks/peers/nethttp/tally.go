package main

import (
	"sync"

	"github.com/onemrc/onemrc/benchmarks/peers/internal/stats"
)

// tally is the peer's whole state, safe for concurrent use: net/http runs each
// connection on its own goroutine. The counters are the peers' shared ones; users
// live in a sync.Map, as in the challenge's reference, and the first LoadOrStore
// of a key counts a new user, so /stats is O(1) instead of a Range.
type tally struct {
	stats.Counters
	users sync.Map // userId -> struct{}
}

// record counts one event.
func (t *tally) record(userID string, value float64) {
	_, loaded := t.users.LoadOrStore(userID, struct{}{})
	t.Add(value, !loaded)
}
