package wal

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/onemrc/onemrc/checkpoint"
	"github.com/onemrc/onemrc/store"
)

// Recovery reports what Recover restored.
type Recovery struct {
	Snapshot         string // the checkpoint file restored; "" when none
	SnapshotVersion  int    // its format version (1: written before the log)
	SnapshotPosition uint64 // the log position it covers
	Seed             [2]uint64
	Segments         int      // segments replayed (wholly or in part)
	Records          int      // records applied
	BytesCut         int64    // bytes of a torn or corrupt tail removed
	MovedAside       []string // segments renamed *.corrupt: never replayed again
	Removed          []string // segments deleted: below the snapshot, or empty
	Took             time.Duration
	// Position is where the log continues: open the writer there (Open).
	Position uint64
}

// Recover rebuilds the store the data directory dir holds: the newest intact snapshot
// (checkpoint version 2, or 1), then every record of every segment at or after the
// snapshot's position, in position order. It repairs what a crash leaves (see the
// package doc) so that the daemon always starts: a torn or corrupt tail is cut at the
// last valid record; a corrupt record before the last segment ends replay there and the
// later segments are moved aside. It returns an error only for I/O failures and for a
// directory no crash can produce: a snapshot and a log under different seeds
// (ErrSeedMismatch), or no intact checkpoint while the log does not begin at 0.
func Recover(dir string, log *slog.Logger) (*store.Store, Recovery, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	began := time.Now()
	var rc Recovery
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, rc, fmt.Errorf("wal: %w", err)
	}
	removed, err := checkpoint.RemoveStaleTemps(dir)
	for _, path := range removed {
		log.Warn("removed a temporary checkpoint file a crash left behind", "file", path)
	}
	if err != nil {
		log.Warn("stale temporary checkpoint files not removed", "err", err)
	}
	st, meta, snapPath, skipped, err := checkpoint.LoadNewest(dir)
	for _, e := range skipped {
		log.Error("checkpoint skipped", "err", e)
	}
	haveSnap := err == nil
	if err != nil && !errors.Is(err, checkpoint.ErrNone) {
		return nil, rc, fmt.Errorf("wal: %w", err)
	}
	segs, err := listSegments(dir)
	if err != nil {
		return nil, rc, fmt.Errorf("wal: %w", err)
	}

	// The seed: the snapshot's, else the first segment's. Every readable header must agree.
	var seed [2]uint64
	seedFrom := ""
	if haveSnap {
		seed, seedFrom = meta.Seed, snapPath
	}
	for _, s := range segs {
		h, err := readSegHeader(s.path)
		if err != nil {
			continue // judged in order below
		}
		if seedFrom == "" {
			seed, seedFrom = h.seed, s.path
		} else if h.seed != seed {
			return nil, rc, fmt.Errorf("%w: %s was written under seed %x, %s under %x: user keys of one are meaningless under the other; this directory mixes two stores' files",
				ErrSeedMismatch, s.path, h.seed, seedFrom, seed)
		}
	}
	// No crash leaves these (a snapshot is durable before anything it folds is deleted):
	// starting would silently drop everything acknowledged before them.
	switch {
	case !haveSnap && len(skipped) > 0 && (len(segs) == 0 || segs[0].start != 0):
		return nil, rc, fmt.Errorf("wal: -data-dir %s: no intact checkpoint among %d files and no log from position 0; move them away to start empty", dir, len(skipped))
	case !haveSnap && len(segs) > 0 && segs[0].start != 0:
		return nil, rc, fmt.Errorf("%w: -data-dir %s: the log begins at position %d and no checkpoint covers what came before; move the wal-*.log files away to start empty", ErrGap, dir, segs[0].start)
	}

	var s *store.Store
	if haveSnap {
		s, err = store.Restore(st, store.Options{})
		if err != nil {
			return nil, rc, fmt.Errorf("wal: checkpoint %s: %w", snapPath, err)
		}
		rc.Snapshot, rc.SnapshotVersion, rc.SnapshotPosition = snapPath, meta.Version, meta.Position
		log.Info("restored checkpoint", "file", snapPath, "version", meta.Version, "position", meta.Position,
			"totalRequests", st.TotalRequests, "users", len(st.Users))
	} else {
		s = store.New(store.Options{Seed: seed}) // a random seed when there is no log either
	}
	st = store.State{}
	rc.Seed = s.Seed()

	base := rc.SnapshotPosition
	pos := base
	changed := false
	remove := func(path, why string) error {
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("wal: %w", err)
		}
		log.Info("removed a log segment", "segment", path, "why", why)
		rc.Removed = append(rc.Removed, path)
		changed = true
		return nil
	}
	// corrupt moves later aside after a corruption before the last segment.
	corrupt := func(later []segment, at string, why string) error {
		log.Error("log corrupt before its last segment: replay stops at the last valid record, later segments are moved aside and never replayed",
			"segment", at, "position", pos, "why", why, "moved_aside", len(later))
		moved, err := moveAside(later)
		rc.MovedAside = append(rc.MovedAside, moved...)
		changed = true
		return err
	}
	for i, seg := range segs {
		last := i == len(segs)-1
		if seg.start < base && seg.end() <= base {
			// Folded into the snapshot: a crash between the snapshot and this
			// deletion left it.
			if err := remove(seg.path, "below the snapshot's position"); err != nil {
				return nil, rc, err
			}
			continue
		}
		if seg.start > pos || (seg.start < pos && pos != base) {
			if err := corrupt(segs[i:], seg.path, fmt.Sprintf("the segment starts at %d, the log so far ends at %d", seg.start, pos)); err != nil {
				return nil, rc, err
			}
			break
		}
		sc, err := scanSegment(seg.path, pos, s.Apply)
		if err != nil {
			return nil, rc, fmt.Errorf("wal: %w", err)
		}
		if sc.hdrErr == nil && sc.hdr.start != seg.start {
			sc.hdrErr = fmt.Errorf("%w: start %d in a file named for %d", errBadHeader, sc.hdr.start, seg.start)
		}
		if sc.hdrErr != nil {
			if last && seg.start == pos {
				// A crash while the segment was created: it holds nothing.
				if err := remove(seg.path, "torn header: "+sc.hdrErr.Error()); err != nil {
					return nil, rc, err
				}
				break
			}
			if err := corrupt(segs[i:], seg.path, sc.hdrErr.Error()); err != nil {
				return nil, rc, err
			}
			break
		}
		rc.Segments++
		rc.Records += sc.applied
		pos = max(pos, sc.end)
		stop := sc.bad != nil
		if stop {
			if !last {
				if err := corrupt(segs[i+1:], seg.path, sc.bad.Error()); err != nil {
					return nil, rc, err
				}
			}
			cut := sc.size - sc.valid
			log.Warn("log tail torn or corrupt: cut at the last valid record", "segment", seg.path,
				"position", sc.end, "bytes_dropped", cut, "why", sc.bad)
			if err := truncate(seg.path, sc.valid); err != nil {
				return nil, rc, fmt.Errorf("wal: %w", err)
			}
			rc.BytesCut += cut
			changed = true
		}
		if (last || stop) && sc.records == 0 && seg.start == pos {
			// Nothing in it; Open creates a segment of this name.
			if err := remove(seg.path, "empty"); err != nil {
				return nil, rc, err
			}
		}
		if stop {
			break
		}
	}
	if err := syncIf(dir, changed); err != nil {
		return nil, rc, err
	}
	rc.Took = time.Since(began)
	rc.Position = pos
	snap := s.Snapshot()
	log.Info("log replayed", "segments", rc.Segments, "records", rc.Records, "bytes_cut", rc.BytesCut,
		"moved_aside", len(rc.MovedAside), "position", pos, "totalRequests", snap.TotalRequests,
		"users", snap.UniqueUsers, "took", rc.Took.Round(time.Millisecond))
	return s, rc, nil
}

// readSegHeader reads the header of the segment at path.
func readSegHeader(path string) (segHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return segHeader{}, err
	}
	defer f.Close()
	var b [segHeaderLen]byte
	n, err := io.ReadFull(f, b[:])
	if err != nil && !isShort(err) {
		return segHeader{}, err
	}
	return parseSegHeader(b[:n])
}

// moveAside renames segs to *.corrupt so that replay never reads them after newer
// records, keeping them for inspection.
func moveAside(segs []segment) ([]string, error) {
	var moved []string
	for _, s := range segs {
		to := s.path + corruptSuffix
		for n := 1; ; n++ {
			if _, err := os.Lstat(to); os.IsNotExist(err) {
				break
			}
			to = fmt.Sprintf("%s%s.%d", s.path, corruptSuffix, n)
		}
		if err := os.Rename(s.path, to); err != nil {
			return moved, fmt.Errorf("wal: %w", err)
		}
		moved = append(moved, to)
	}
	return moved, nil
}

// truncate cuts the file at path to size bytes and makes that durable.
func truncate(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

func syncIf(dir string, changed bool) error {
	if !changed {
		return nil
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	return nil
}
