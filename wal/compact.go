package wal

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/onemrc/onemrc/checkpoint"
)

// Compaction reports what one compaction did.
type Compaction struct {
	Snapshot string // the snapshot written; "" when there was nothing to fold
	From     string // the snapshot it continues; "" when it started from the empty store
	Position uint64 // the log position the new snapshot covers
	Segments int    // segments folded and deleted
	Records  int    // records folded
	NewKeys  int    // distinct keys of the folded records not in the old snapshot
	Users    uint64 // keys in the new snapshot
	Bytes    int64  // size of the new snapshot
	Took     time.Duration
}

// errStopped: the log closed during a compaction, which was abandoned.
var errStopped = errors.New("wal: compaction stopped by Close")

// crashAt, when set (tests), is asked at each step of a compaction; true ends the
// compaction right there, leaving the files as a crash would.
var crashAt func(step string) bool

var errCrash = errors.New("wal: simulated crash")

// Compact folds the newest snapshot in dir and the segments after it that end at or
// before position below (every segment but the open one: Log.StartCompactor passes the
// open segment's start; offline, after Recover, pass math.MaxUint64) into a new
// snapshot at the position where they end, then deletes them and all snapshots but the
// newest two. It streams: memory holds the keys of the folded records, never the whole
// user set (except once for a version 1 snapshot, whose keys are not sorted). It never
// touches the open segment or a live store. A crash at any point leaves a directory that
// Recover restores exactly (see the package doc).
func Compact(dir string, below uint64) (Compaction, error) { return compact(dir, below, nil) }

func compact(dir string, below uint64, stop <-chan struct{}) (c Compaction, err error) {
	began := time.Now()
	defer func() { c.Took = time.Since(began) }()
	segs, err := listSegments(dir)
	if err != nil {
		return c, fmt.Errorf("wal: %w", err)
	}
	snaps, err := checkpoint.List(dir)
	if err != nil {
		return c, fmt.Errorf("wal: %w", err)
	}
	var meta checkpoint.Meta
	var old *checkpoint.Reader
	if len(snaps) > 0 {
		r, f, err := checkpoint.OpenReader(snaps[0])
		if err != nil {
			// Recover would fall back to an older snapshot, which the folded
			// segments no longer continue: a full snapshot of the live store is
			// the way out (the caller's), never a fold onto the wrong base.
			return c, fmt.Errorf("wal: the newest snapshot is unreadable, not compacting: %w", err)
		}
		defer f.Close()
		old, meta, c.From = r, r.Meta, snaps[0]
	}
	base := meta.Position
	var fold, stale []segment
	for _, s := range segs {
		switch {
		case s.start < base && s.end() <= base:
			stale = append(stale, s)
		case s.start < below && s.end() <= below:
			fold = append(fold, s)
		}
	}
	if len(fold) == 0 {
		return c, removeSegments(dir, stale)
	}
	if fold[0].start != base {
		return c, fmt.Errorf("%w: the snapshot %q covers position %d, the first segment after it starts at %d", ErrGap, c.From, base, fold[0].start)
	}
	if old == nil {
		h, err := readSegHeader(fold[0].path)
		if err != nil {
			return c, fmt.Errorf("wal: %s: %w", fold[0].path, err)
		}
		meta.Seed = h.seed
	}

	// Fold the records: totals exactly, keys collected.
	acc := meta.State()
	pos := base
	for _, s := range fold {
		select {
		case <-stop:
			return c, errStopped
		default:
		}
		sc, err := scanSegment(s.path, pos, acc.Apply)
		switch {
		case err != nil:
			return c, fmt.Errorf("wal: %w", err)
		case sc.hdrErr != nil:
			return c, fmt.Errorf("wal: %s: %w", s.path, sc.hdrErr)
		case sc.hdr.seed != meta.Seed:
			return c, fmt.Errorf("%w: %s under %x, the snapshot under %x", ErrSeedMismatch, s.path, sc.hdr.seed, meta.Seed)
		case sc.hdr.start != pos || s.start != pos:
			return c, fmt.Errorf("%w: %s starts at %d, the log so far ends at %d", ErrGap, s.path, sc.hdr.start, pos)
		case sc.bad != nil || sc.valid != sc.size:
			return c, fmt.Errorf("wal: closed segment %s is corrupt at position %d (run Recover): %v", s.path, sc.end, sc.bad)
		}
		pos = sc.end
		c.Records += sc.applied
	}
	newKeys := acc.Users
	checkpoint.SortKeys(newKeys)
	newKeys = slices.Compact(newKeys)

	out, err := checkpoint.Create(dir, checkpoint.Meta{Position: pos, Seed: meta.Seed,
		TotalRequests: acc.TotalRequests, Sum: acc.Sum})
	if err != nil {
		return c, fmt.Errorf("wal: %w", err)
	}
	next := func() ([2]uint64, bool) { return [2]uint64{}, false }
	if old != nil {
		next = old.Next
		if old.Meta.Version == 1 {
			// Version 1 keys are in any order: sort them once.
			var all [][2]uint64
			for k, ok := old.Next(); ok; k, ok = old.Next() {
				all = append(all, k)
			}
			checkpoint.SortKeys(all)
			next = func() ([2]uint64, bool) {
				if len(all) == 0 {
					return [2]uint64{}, false
				}
				k := all[0]
				all = all[1:]
				return k, true
			}
		}
	}
	if err := merge(out, next, newKeys, stop, &c); err != nil {
		out.Abort()
		return c, err
	}
	if old != nil {
		if err := old.Err(); err != nil {
			out.Abort()
			return c, fmt.Errorf("wal: the newest snapshot is corrupt, not compacting: %w", err)
		}
	}
	if crashAt != nil && crashAt("before rename") {
		return c, errCrash // the temporary file stays, as after a crash
	}
	path, err := out.Commit()
	if err != nil {
		return c, fmt.Errorf("wal: %w", err)
	}
	c.Snapshot, c.Position, c.Segments = path, pos, len(fold)
	if info, err := os.Stat(path); err == nil {
		c.Bytes = info.Size()
	}
	if crashAt != nil && crashAt("after rename") {
		return c, errCrash
	}
	// The new snapshot is durable: what it folded may go, oldest first.
	for i, s := range append(stale, fold...) {
		if err := os.Remove(s.path); err != nil {
			return c, fmt.Errorf("wal: %w", err)
		}
		if i == 0 && crashAt != nil && crashAt("deleting segments") {
			return c, errCrash
		}
	}
	if crashAt != nil && crashAt("before pruning snapshots") {
		return c, errCrash
	}
	checkpoint.Prune(dir)
	return c, syncIf(dir, true)
}

// merge writes the union of two ascending key streams to out, each key once.
func merge(out *checkpoint.File, next func() ([2]uint64, bool), add [][2]uint64, stop <-chan struct{}, c *Compaction) error {
	k, ok := next()
	for n := 0; ok || len(add) > 0; n++ {
		if n&(1<<16-1) == 0 {
			select {
			case <-stop:
				return errStopped
			default:
			}
		}
		var w [2]uint64
		switch {
		case !ok:
			w, add = add[0], add[1:]
			c.NewKeys++
		case len(add) == 0:
			w = k
			k, ok = next()
		default:
			switch cmp := checkpoint.CompareKeys(k, add[0]); {
			case cmp < 0:
				w = k
				k, ok = next()
			case cmp > 0:
				w, add = add[0], add[1:]
				c.NewKeys++
			default:
				w, add = k, add[1:]
				k, ok = next()
			}
		}
		if err := out.Add(w); err != nil {
			return fmt.Errorf("wal: %w", err)
		}
		c.Users++
	}
	return nil
}

func removeSegments(dir string, segs []segment) error {
	for _, s := range segs {
		if err := os.Remove(s.path); err != nil {
			return fmt.Errorf("wal: %w", err)
		}
	}
	return syncIf(dir, len(segs) > 0)
}

// compactionDue reports whether the closed segments (those before below) should be
// folded: there are some, and together they reach half the newest snapshot's size, or
// the oldest was closed more than interval ago. So the bytes written per second follow
// the event rate, not the size of the state, and the directory holds at most about two
// snapshots, half a snapshot of closed segments and the open one.
func compactionDue(dir string, below uint64, interval time.Duration, now time.Time) (bool, string, error) {
	segs, err := listSegments(dir)
	if err != nil {
		return false, "", err
	}
	var base uint64
	var snapSize int64
	if snaps, err := checkpoint.List(dir); err != nil {
		return false, "", err
	} else if len(snaps) > 0 {
		r, f, err := checkpoint.OpenReader(snaps[0])
		if err != nil {
			return false, "", err
		}
		base = r.Meta.Position
		if info, err := f.Stat(); err == nil {
			snapSize = info.Size()
		}
		f.Close()
	}
	var closed int64
	var oldest time.Time
	for _, s := range segs {
		if s.start < base || s.end() > below || s.start >= below {
			continue
		}
		closed += s.size
		if info, err := os.Stat(s.path); err == nil && (oldest.IsZero() || info.ModTime().Before(oldest)) {
			oldest = info.ModTime()
		}
	}
	switch {
	case closed == 0:
		return false, "", nil
	case 2*closed >= snapSize:
		return true, "size", nil
	case now.Sub(oldest) >= interval:
		return true, "age", nil
	}
	return false, "", nil
}

// StartCompactor runs compactions in the background, off the event loops and never
// touching the live store: it checks every interval, and after each segment roll,
// whether one is due (compactionDue). It stops at Close (a compaction in progress is
// abandoned; its temporary file is removed). Only the first call starts one.
func (l *Log) StartCompactor(interval time.Duration, log *slog.Logger) {
	l.compactor.Do(func() { l.startCompactor(interval, log) })
}

func (l *Log) startCompactor(interval time.Duration, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
			case <-l.rolled:
			}
			below := l.openSegmentStart()
			due, why, err := compactionDue(l.dir, below, interval, time.Now())
			if err != nil {
				log.Error("compaction check failed", "err", err)
				continue
			}
			if !due {
				continue
			}
			c, err := compact(l.dir, below, l.stop)
			if errors.Is(err, errStopped) {
				return
			}
			if err != nil {
				log.Error("compaction failed", "err", err)
				continue
			}
			l.stats.compactions.Add(1)
			log.Info("compacted", "why", why, "snapshot", c.Snapshot, "position", c.Position,
				"segments", c.Segments, "records", c.Records, "new_keys", c.NewKeys, "users", c.Users,
				"bytes", c.Bytes, "took", c.Took.Round(time.Millisecond))
		}
	}()
}
