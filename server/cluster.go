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
)

// defaultNodeID is hostname:port, unique for daemons on distinct hosts or ports.
func defaultNodeID(addr string) string {
	host, _ := os.Hostname()
	_, port, _ := net.SplitHostPort(addr)
	return host + ":" + port
}

// openClusterStore joins the cluster and returns the store to count into. The store uses
// the cluster's user-hash seed. It continues from the newest of two records of this node's
// past: its checkpoint, and the totals Redis holds under its node id (the later of the two
// has the larger count, since both are cuts of the same acknowledged events), so a restart
// neither loses what Redis already merged nor counts it twice.
func openClusterStore(cfg config, log *slog.Logger) (*store.Store, *cluster.Node, error) {
	state, restored, err := loadState(cfg.dataDir, log)
	if err != nil {
		return nil, nil, err
	}
	proposed := state.Seed
	if !restored {
		proposed = store.New(store.Options{}).Seed() // a fresh random seed
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	node, err := cluster.Dial(ctx, cluster.Config{URL: cfg.cluster, NodeID: cfg.nodeID,
		FlushInterval: cfg.flushEvery, Log: log}, proposed)
	if err != nil {
		return nil, nil, err
	}
	if restored && node.Seed() != state.Seed {
		node.Close(ctx)
		return nil, nil, fmt.Errorf("the checkpoint in %s was made under another cluster's user-hash seed; it cannot join %s", cfg.dataDir, cfg.cluster)
	}
	state.Seed = node.Seed()
	count, mant, scale, ok, err := node.StoredTotals(ctx)
	if err != nil {
		node.Close(ctx)
		return nil, nil, err
	}
	if ok && count > state.TotalRequests {
		log.Info("continuing from the totals redis holds for this node", "node", cfg.nodeID, "totalRequests", count)
		state.TotalRequests, state.SumMant, state.SumScale = count, mant, scale
	}
	var st *store.Store
	if state.TotalRequests > 0 {
		st, err = store.Restore(state, store.Options{})
		if err != nil {
			node.Close(ctx)
			return nil, nil, err
		}
	} else {
		st = store.New(store.Options{Seed: state.Seed})
	}
	st.EnableJournal()
	log.Info("joined cluster", "redis", cfg.cluster, "node", cfg.nodeID, "flush_interval", cfg.flushEvery)
	return st, node, nil
}
