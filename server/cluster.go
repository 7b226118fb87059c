package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/onemrc/onemrc/cluster"
	"github.com/onemrc/onemrc/restore"
	"github.com/onemrc/onemrc/store"
	"github.com/onemrc/onemrc/wal"
)

// defaultNodeID is hostname:port, unique for daemons on distinct hosts or ports.
func defaultNodeID(addr string) string {
	host, _ := os.Hostname()
	_, port, _ := net.SplitHostPort(addr)
	return host + ":" + port
}

// openClusterStore joins the cluster and returns the store to count into: what the data
// dir restored, or what the cluster holds for this node, by package restore's policy.
func openClusterStore(cfg config, log *slog.Logger) (*store.Store, *cluster.Node, wal.Recovery, error) {
	local, err := restore.FromDataDir(cfg.dataDir, log)
	if err != nil {
		return nil, nil, local.Recovery, err
	}
	// 15 s to reach Redis, plus the wait for a lease left by a crashed run of this node,
	// plus the wait for a new seed to settle.
	ctx, cancel := context.WithTimeout(context.Background(),
		15*time.Second+cluster.LeaseWait(cfg.flushEvery)+cluster.SeedGrace(cfg.flushEvery, time.Second))
	defer cancel()
	node, err := cluster.Dial(ctx, cluster.Config{URL: cfg.cluster, Password: cfg.password, PreviousPassword: cfg.prevPass, NodeID: cfg.nodeID,
		FlushInterval: cfg.flushEvery, Keyed: local.Restored(), Log: log}, local.Store.Seed())
	if err != nil {
		return nil, nil, local.Recovery, err
	}
	st, err := restore.Join(ctx, local, node, cfg.nodeID, log)
	if err != nil {
		node.Close(ctx)
		if errors.Is(err, restore.ErrOtherSeed) {
			err = fmt.Errorf("the data in %s was made under another cluster's user-hash seed; it cannot join %s", cfg.dataDir, cluster.Redact(cfg.cluster))
		}
		return nil, nil, local.Recovery, err
	}
	st.EnableJournal()
	log.Info("joined cluster", "redis", cluster.Redact(cfg.cluster), "node", cfg.nodeID, "flush_interval", cfg.flushEvery)
	return st, node, local.Recovery, nil
}
