package restore

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/onemrc/onemrc/store"
	"github.com/onemrc/onemrc/wal"
)

// Local is the state a data dir gave back.
type Local struct {
	Store    *store.Store
	Recovery wal.Recovery
	// Durable says a data dir's log backs Store: it is the authority on this node's
	// past (see the package doc).
	Durable bool
}

// Restored reports whether Local continues from earlier state: a snapshot, log
// records, or events.
func (l Local) Restored() bool {
	return l.Recovery.Snapshot != "" || l.Recovery.Records > 0 || l.Store.Snapshot().TotalRequests > 0
}

// FromDataDir rebuilds the store from dataDir, creating the directory if need be, and
// logs what it restored; without a data dir ("") it returns an empty store under a new
// seed.
func FromDataDir(dataDir string, log *slog.Logger) (Local, error) {
	if dataDir == "" {
		return Local{Store: store.New(store.Options{})}, nil
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return Local{}, fmt.Errorf("-data-dir: %w", err)
	}
	st, rec, err := wal.Recover(dataDir, log)
	if err != nil {
		return Local{Recovery: rec}, fmt.Errorf("-data-dir %s: %w", dataDir, err)
	}
	snap := st.Snapshot()
	log.Info("restored", "data_dir", dataDir, "snapshot", filepath.Base(rec.Snapshot),
		"snapshot_version", rec.SnapshotVersion, "segments", rec.Segments, "records", rec.Records,
		"bytes_cut", rec.BytesCut, "totalRequests", snap.TotalRequests, "uniqueUsers", snap.UniqueUsers,
		"took", rec.Took.Round(1e6))
	for _, f := range rec.MovedAside {
		log.Error("corrupt log segment moved aside; events after its last valid record are not restored", "file", f)
	}
	return Local{Store: st, Recovery: rec, Durable: true}, nil
}
