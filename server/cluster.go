package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/onemrc/onemrc/cluster"
	"github.com/onemrc/onemrc/store"
	"github.com/onemrc/onemrc/wal"
)

// defaultNodeID is hostname:port, unique for daemons on distinct hosts or ports.
func defaultNodeID(addr string) string {
	host, _ := os.Hostname()
	_, port, _ := net.SplitHostPort(addr)
	return host + ":" + port
}

// openClusterStore joins the cluster and returns the store to count into, restored from
// the data dir when there is one. The store uses the cluster's user-hash seed.
//
// With -data-dir the log is the authority on this node's past: every event the node
// acknowledged is in it. Redis may hold a little more (a flush reads the published
// counters, which can include events whose records were not written when the node
// stopped: never acknowledged), and the node's next flush brings Redis back to the log.
// Without -data-dir the node continues from the totals Redis holds under its id, so that
// a restart does not make the cluster's figures go back.
func openClusterStore(cfg config, log *slog.Logger) (*store.Store, *cluster.Node, wal.Recovery, error) {
	st, rec, err := recoverStore(cfg.dataDir, log)
	if err != nil {
		return nil, nil, rec, err
	}
	restored := restoredAnything(st, rec)
	// 15 s to reach Redis, plus the wait for a lease left by a crashed run of this node,
	// plus the wait for a new seed to settle.
	ctx, cancel := context.WithTimeout(context.Background(),
		15*time.Second+cluster.LeaseWait(cfg.flushEvery)+cluster.SeedGrace(cfg.flushEvery, time.Second))
	defer cancel()
	node, err := cluster.Dial(ctx, cluster.Config{URL: cfg.cluster, Password: cfg.password, PreviousPassword: cfg.prevPass, NodeID: cfg.nodeID,
		FlushInterval: cfg.flushEvery, Keyed: restored, Log: log}, st.Seed())
	if err != nil {
		return nil, nil, rec, err
	}
	switch {
	case restored && node.Seed() != st.Seed():
		node.Close(ctx)
		return nil, nil, rec, fmt.Errorf("the data in %s was made under another cluster's user-hash seed; it cannot join %s", cfg.dataDir, cluster.Redact(cfg.cluster))
	case !restored:
		st = store.New(store.Options{Seed: node.Seed()})
	}
	stored, ok, err := node.StoredTotals(ctx)
	if err != nil {
		node.Close(ctx)
		return nil, nil, rec, err
	}
	local := st.Snapshot().TotalRequests
	switch {
	case ok && stored.Count > local && cfg.dataDir != "":
		log.Info("redis holds more events for this node than its log: events counted but never acknowledged; the log wins",
			"node", cfg.nodeID, "redis", stored.Count, "log", local)
	case ok && stored.Count > local:
		log.Info("continuing from the totals redis holds for this node", "node", cfg.nodeID, "totalRequests", stored.Count)
		st, err = store.Restore(store.State{Seed: node.Seed(), TotalRequests: stored.Count, Sum: stored.Sum}, store.Options{})
		if err != nil {
			node.Close(ctx)
			return nil, nil, rec, err
		}
	}
	st.EnableJournal()
	log.Info("joined cluster", "redis", cluster.Redact(cfg.cluster), "node", cfg.nodeID, "flush_interval", cfg.flushEvery)
	return st, node, rec, nil
}
