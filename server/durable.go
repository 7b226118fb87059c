package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/onemrc/onemrc/loop"
	"github.com/onemrc/onemrc/restore"
	"github.com/onemrc/onemrc/store"
	"github.com/onemrc/onemrc/wal"
)

// With -data-dir the daemon keeps a write-ahead log (package wal): at startup it restores
// the newest snapshot and replays the log after it; while it runs, the loops append a
// record per turn and hold the answers to the events in it until the record is written
// (-fsync interval, off) or synced (-fsync always); a compactor folds closed segments
// into new snapshots in the background.

// recoverStore rebuilds the store from dataDir (an empty store without one).
func recoverStore(dataDir string, log *slog.Logger) (*store.Store, wal.Recovery, error) {
	local, err := restore.FromDataDir(dataDir, log)
	return local.Store, local.Recovery, err
}

// openLog opens the log for appending where recovery ended, with the syncing -fsync asks
// for and the compactor.
func openLog(cfg config, st *store.Store, rec wal.Recovery, log *slog.Logger) (*wal.Log, error) {
	l, err := wal.Open(cfg.dataDir, st.Seed(), rec.Position, wal.Options{})
	if err != nil {
		return nil, fmt.Errorf("-data-dir %s: %w", cfg.dataDir, err)
	}
	if cfg.fsync.mode == loop.FsyncInterval {
		l.SyncEvery(cfg.fsyncEvery)
	}
	l.StartCompactor(cfg.ckptEvery, log)
	log.Info("write-ahead log open", "data_dir", cfg.dataDir, "fsync", cfg.fsync.String(), "position", rec.Position)
	return l, nil
}

// walLog is the log as the loops use it.
type walLog struct{ *wal.Log }

func (walLog) BeginRecord(dst []byte) ([]byte, int)   { return wal.BeginRecord(dst) }
func (walLog) EndRecord(dst []byte, start int) []byte { return wal.EndRecord(dst, start) }

// loopLog keeps a nil *wal.Log from becoming a non-nil interface.
func loopLog(l *wal.Log) loop.Log {
	if l == nil {
		return nil
	}
	return walLog{l}
}

// nodeIDFile holds, in the data dir, the cluster node id the data belongs to: the totals
// a data dir restores are one node's, so another id must not claim them.
const nodeIDFile = "node-id"

// resolveNodeID returns the node id to run under: the one given, checked against the one
// the data dir was written under, else the data dir's, else def. It records the id in
// the data dir the first time.
func resolveNodeID(dataDir, given, def string) (string, error) {
	if dataDir == "" {
		if given != "" {
			return given, nil
		}
		return def, nil
	}
	path := filepath.Join(dataDir, nodeIDFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		stored := strings.TrimSpace(string(b))
		if given != "" && given != stored {
			return "", fmt.Errorf("-data-dir %s holds the state of node %q; start it with -node-id %q, or give node %q a data dir of its own", dataDir, stored, stored, given)
		}
		return stored, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("-data-dir: %w", err)
	}
	id := given
	if id == "" {
		id = def
	}
	if err := writeFileSync(path, []byte(id+"\n")); err != nil {
		return "", fmt.Errorf("-data-dir: recording the node id: %w", err)
	}
	return id, nil
}

// writeFileSync writes a small file durably: temp file, fsync, rename, fsync dir.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
