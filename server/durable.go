package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/onemrc/onemrc/checkpoint"
	"github.com/onemrc/onemrc/loop"
	"github.com/onemrc/onemrc/store"
)

// loadState removes what a crash left mid-write in dataDir and reads the newest intact
// checkpoint there. ok is false when there is none (or no dataDir); corrupt checkpoints
// are reported and skipped, and if every file is corrupt the daemon refuses to start
// rather than silently start empty.
func loadState(dataDir string, log *slog.Logger) (st store.State, ok bool, err error) {
	if dataDir == "" {
		return st, false, nil
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return st, false, fmt.Errorf("-data-dir: %w", err)
	}
	// Before this process writes there: what a crash left mid-write is garbage.
	removed, err := checkpoint.RemoveStaleTemps(dataDir)
	for _, path := range removed {
		log.Warn("removed a temporary checkpoint file a crash left behind", "file", path)
	}
	if err != nil {
		log.Warn("stale temporary checkpoint files not removed", "err", err)
	}
	st, path, skipped, err := checkpoint.Load(dataDir)
	for _, e := range skipped {
		log.Error("checkpoint skipped", "err", e)
	}
	if errors.Is(err, checkpoint.ErrNone) {
		if len(skipped) > 0 {
			return st, false, fmt.Errorf("-data-dir %s: no intact checkpoint among %d files; move them away to start empty", dataDir, len(skipped))
		}
		log.Info("no checkpoint, starting empty", "data_dir", dataDir)
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("-data-dir: %w", err)
	}
	log.Info("restoring checkpoint", "file", path, "totalRequests", st.TotalRequests, "users", len(st.Users))
	return st, true, nil
}

// openStore returns the store to count into: restored from the newest intact checkpoint
// in dataDir when there is one, else empty.
func openStore(dataDir string, log *slog.Logger) (*store.Store, error) {
	st, ok, err := loadState(dataDir, log)
	if err != nil || !ok {
		return store.New(store.Options{}), err
	}
	s, err := store.Restore(st, store.Options{})
	if err != nil {
		return nil, fmt.Errorf("checkpoint in %s: %w", dataDir, err)
	}
	return s, nil
}

// checkpointer writes the store to dataDir every interval while the daemon runs, and once
// more at shutdown. Each periodic checkpoint is a consistent cut taken with every loop
// paused (loop.Server.Quiesce) for as long as it takes to copy the state; the file is
// written after the loops resume.
type checkpointer struct {
	dir      string
	interval time.Duration
	srv      *loop.Server
	st       *store.Store
	log      *slog.Logger

	mu       sync.Mutex // one write at a time
	lastSeen uint64     // TotalRequests in the last checkpoint written (or restored)

	stop chan struct{}
	done chan struct{}
}

func newCheckpointer(dir string, interval time.Duration, srv *loop.Server, st *store.Store, log *slog.Logger) *checkpointer {
	c := &checkpointer{dir: dir, interval: interval, srv: srv, st: st, log: log,
		stop: make(chan struct{}), done: make(chan struct{})}
	c.lastSeen = st.Snapshot().TotalRequests // what was restored is on disk already
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			// Every accepted event moves the count, so an equal count means nothing new.
			if c.st.Snapshot().TotalRequests == c.lastSeen {
				continue
			}
			var state store.State
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := c.srv.Quiesce(ctx, func() { state = c.st.State() })
			cancel()
			if err != nil {
				c.log.Warn("checkpoint skipped: loops not paused", "err", err)
				continue
			}
			c.write(state, "periodic")
		}
	}
}

// final stops the periodic writer and writes the state the stopped loops left behind.
func (c *checkpointer) final() error {
	close(c.stop)
	<-c.done
	return c.write(c.st.State(), "shutdown")
}

func (c *checkpointer) write(state store.State, why string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	start := time.Now()
	path, err := checkpoint.Write(c.dir, state)
	if err != nil {
		c.log.Error("checkpoint failed", "why", why, "err", err)
		return err
	}
	c.lastSeen = state.TotalRequests
	c.log.Info("checkpoint written", "why", why, "file", path, "totalRequests", state.TotalRequests,
		"users", len(state.Users), "took", time.Since(start).Round(time.Millisecond))
	return nil
}
