package restore

import (
	"context"
	"errors"
	"log/slog"

	"github.com/onemrc/onemrc/cluster"
	"github.com/onemrc/onemrc/store"
)

// Remote is the cluster as a joining node sees it; *cluster.Node is one.
type Remote interface {
	// Seed is the cluster's user-hash seed.
	Seed() [2]uint64
	// StoredTotals returns the totals the cluster holds under this node's id, if any.
	StoredTotals(ctx context.Context) (cluster.Totals, bool, error)
}

// ErrOtherSeed means the local state was made under another user-hash seed than the
// cluster's: its user keys cannot merge with the cluster's sets.
var ErrOtherSeed = errors.New("restore: the local state was made under another cluster's user-hash seed")

// Join returns the store a cluster node counts into, by the policy of the package doc:
// local's store when it restored something (under the cluster's seed, else
// ErrOtherSeed), or a new one under the cluster's seed; then, without a data dir, the
// totals the cluster holds under the node's id when they are ahead. node names the node
// in log lines.
func Join(ctx context.Context, local Local, remote Remote, node string, log *slog.Logger) (*store.Store, error) {
	st := local.Store
	switch restored := local.Restored(); {
	case restored && remote.Seed() != st.Seed():
		return nil, ErrOtherSeed
	case !restored:
		st = store.New(store.Options{Seed: remote.Seed()})
	}
	stored, ok, err := remote.StoredTotals(ctx)
	if err != nil {
		return nil, err
	}
	count := st.Snapshot().TotalRequests
	switch {
	case !ok || stored.Count <= count:
		return st, nil
	case local.Durable:
		log.Info("redis holds more events for this node than its log: events counted but never acknowledged; the log wins",
			"node", node, "redis", stored.Count, "log", count)
		return st, nil
	}
	log.Info("continuing from the totals redis holds for this node", "node", node, "totalRequests", stored.Count)
	return store.Restore(store.State{Seed: remote.Seed(), TotalRequests: stored.Count, Sum: stored.Sum}, store.Options{})
}
