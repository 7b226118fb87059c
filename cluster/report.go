package cluster

import (
	"strconv"
	"time"

	"github.com/onemrc/onemrc/store"
)

// What a node reports of the cluster, on the cold path and from any goroutine: the
// cluster-wide /stats, a degraded /health, the flusher's /metrics.

// AppendStats appends the cluster-wide /stats JSON: the other nodes' totals as of the
// last acknowledged flush plus this node's live ones (so an event this node acknowledged
// is in it at once), the cluster's unique users as of that flush, and how fresh that is:
// {"totalRequests":N,"uniqueUsers":U,"sum":S,"avg":A,"scope":"cluster","nodes":K,"ageMs":M}.
// Before the first flush it reports this node alone with "nodes":0.
func (n *Node) AppendStats(dst []byte, local *store.Snapshot) []byte {
	v := n.view.Load()
	snap := *local
	nodes, age := 0, int64(-1)
	if v != nil {
		// The other nodes' exact sum was made once per flush; adding it costs integer
		// adds, and with slow values one conversion per change (see store.Totals).
		snap = v.others.AddTo(local)
		snap.UniqueUsers = max(v.unique, local.UniqueUsers)
		nodes, age = v.nodes, time.Since(v.at).Milliseconds()
	}
	snap.UniqueUsers = min(snap.UniqueUsers, snap.TotalRequests)
	dst = store.AppendStats(dst, &snap)
	dst = append(dst[:len(dst)-1], `,"scope":"cluster","nodes":`...)
	dst = strconv.AppendInt(dst, int64(nodes), 10)
	dst = append(dst, `,"ageMs":`...)
	dst = strconv.AppendInt(dst, age, 10)
	return append(dst, '}')
}

// Bodies of a degraded node's /health: it still counts and answers, but its events no
// longer reach the cluster. Still 200: restarting the process would not help.
var (
	healthLeaseLost    = []byte(`{"status":"degraded","cluster":"lease lost: another process took this node id; this node flushes no more"}`)
	healthSeedConflict = []byte(`{"status":"degraded","cluster":"seed conflict: redis holds another user-hash seed; this node flushes no more"}`)
)

// HealthBody returns the body /health answers when the node is degraded, nil when it is
// healthy (any goroutine).
func (n *Node) HealthBody() []byte {
	switch {
	case n.leaseLost.Load():
		return healthLeaseLost
	case n.seedConflict.Load():
		return healthSeedConflict
	}
	return nil
}

// Metrics is the flusher's state for /metrics.
type Metrics struct {
	FlushesOK, FlushesFailed uint64
	BacklogUsers             int64         // users not yet in Redis: new ones and the rest of resyncs under way
	ResyncShards             int64         // user shards waiting to be resent from the store
	Rollbacks                uint64        // user shards found to have lost this node's writes, since start
	SeedConflict             bool          // Redis holds another user-hash seed: no flushes
	SinceLastFlush           time.Duration // since the last acknowledged flush; -1s before the first
	LeaseLost                bool          // another process took the node id (see LeaseLost)
}

// Metrics returns the flusher's counters (any goroutine).
func (n *Node) Metrics() Metrics {
	m := Metrics{FlushesOK: n.flushesOK.Load(), FlushesFailed: n.flushesFailed.Load(), BacklogUsers: n.backlogUsers.Load(), SinceLastFlush: -time.Second,
		LeaseLost: n.leaseLost.Load(), ResyncShards: n.resyncShards.Load(), Rollbacks: n.rollbacks.Load(), SeedConflict: n.seedConflict.Load()}
	if t := n.lastOK.Load(); t != 0 {
		m.SinceLastFlush = time.Since(time.Unix(0, t))
	}
	return m
}
