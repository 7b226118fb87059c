package wal

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/checkpoint"
)

// compactDir holds a snapshot (a first compaction) and closed segments after it, whose
// records share users with the snapshot.
func compactDir(t *testing.T, w *workload) string {
	dir := t.TempDir()
	half := len(w.frames) / 2
	end := writeAll(t, dir, w.orig.Seed(), 0, w.frames[:half], Options{SegmentBytes: 4 << 10})
	_, err := Compact(dir, ^uint64(0))
	require.NoError(t, err)
	writeAll(t, dir, w.orig.Seed(), end, w.frames[half:], Options{SegmentBytes: 4 << 10})
	return dir
}

// A crash at any step of a compaction leaves a directory that Recover restores exactly,
// and the next compaction completes from there.
func TestCompactionCrashAtEachStep(t *testing.T) {
	w := newWorkload(t, 6000, 400, 8)
	want := stateOf(w.orig)
	base := compactDir(t, w)
	segsBefore, err := listSegments(base)
	require.NoError(t, err)
	require.Greater(t, len(segsBefore), 2)

	for _, step := range []string{"before rename", "after rename", "deleting segments", "before pruning snapshots", ""} {
		t.Run(step, func(t *testing.T) {
			dir := copyDir(t, base)
			crashAt = func(s string) bool { return s == step }
			defer func() { crashAt = nil }()
			_, err := Compact(dir, ^uint64(0))
			if step != "" {
				require.ErrorIs(t, err, errCrash)
			} else {
				require.NoError(t, err)
			}
			crashAt = nil

			crashed := copyDir(t, dir) // Recover repairs; keep the crash state for the retry below
			s, rc, err := Recover(dir, nil)
			require.NoError(t, err)
			assert.Equal(t, want, stateOf(s), "restored after a crash %s", step)
			for _, name := range names(t, dir) {
				assert.False(t, strings.HasPrefix(name, ".onemrc-"), "temporary file %s left", name)
			}
			if step != "after rename" && step != "deleting segments" {
				assert.Empty(t, rc.Removed)
			} else {
				assert.NotEmpty(t, rc.Removed, "segments below the new snapshot are removed")
			}

			// The next compaction, on what the crash left, completes.
			c, err := Compact(crashed, ^uint64(0))
			require.NoError(t, err)
			s, rc, err = Recover(crashed, nil)
			require.NoError(t, err)
			assert.Equal(t, want, stateOf(s))
			assert.Zero(t, rc.Records+rc.Segments, "nothing left to replay")
			snaps, err := checkpoint.List(crashed)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(snaps), 2)
			if c.Snapshot != "" {
				assert.Equal(t, c.Snapshot, snaps[0])
			}
		})
	}
}

// A compaction folds exactly the closed segments: the open one, and what is written to
// it meanwhile, stays in the log.
func TestCompactorLeavesTheOpenSegment(t *testing.T) {
	w := newWorkload(t, 6000, 400, 9)
	dir := t.TempDir()
	l, err := Open(dir, w.orig.Seed(), 0, Options{SegmentBytes: 4 << 10})
	require.NoError(t, err)
	l.StartCompactor(time.Millisecond, nil)
	for i, f := range w.frames {
		_, err := l.Write(f)
		require.NoError(t, err)
		if i%200 == 0 {
			time.Sleep(2 * time.Millisecond) // let the compactor run between writes
		}
	}
	require.Eventually(t, func() bool { return l.Stats().Compactions > 0 }, 5*time.Second, time.Millisecond)
	open := l.segmentPath()
	require.NoError(t, l.Close())
	_, err = os.Stat(open)
	require.NoError(t, err, "the open segment is never folded")
	s, rc, err := Recover(dir, nil)
	require.NoError(t, err)
	assert.Equal(t, stateOf(w.orig), stateOf(s))
	assert.Equal(t, 2, rc.SnapshotVersion)
	assert.NotZero(t, rc.SnapshotPosition)
}

// Compaction is due when closed segments reach half the snapshot, or have waited for
// the interval; not for a few fresh bytes next to a big snapshot.
func TestCompactionDue(t *testing.T) {
	w := newWorkload(t, 3000, 300, 10)
	dir := t.TempDir()
	half := len(w.frames) / 2
	end := writeAll(t, dir, w.orig.Seed(), 0, w.frames[:half], Options{})
	now := time.Now()
	due, why, err := compactionDue(dir, 0, time.Hour, now)
	require.NoError(t, err)
	assert.False(t, due, "the open segment (here the one at 0) is not folded")
	due, why, err = compactionDue(dir, ^uint64(0), time.Hour, now)
	require.NoError(t, err)
	assert.True(t, due)
	assert.Equal(t, "size", why, "no snapshot yet: any closed segment")

	_, err = Compact(dir, ^uint64(0))
	require.NoError(t, err)
	// One small record after a snapshot: not due until the interval passed.
	end2 := writeAll(t, dir, w.orig.Seed(), end, w.frames[half:half+1], Options{})
	due, _, err = compactionDue(dir, ^uint64(0), time.Hour, now)
	require.NoError(t, err)
	assert.False(t, due, "a few bytes next to a snapshot")
	due, why, err = compactionDue(dir, ^uint64(0), time.Hour, now.Add(2*time.Hour))
	require.NoError(t, err)
	assert.True(t, due)
	assert.Equal(t, "age", why)

	// Many records: half the snapshot's size.
	writeAll(t, dir, w.orig.Seed(), end2, w.frames[half+1:], Options{})
	due, why, err = compactionDue(dir, ^uint64(0), time.Hour, now)
	require.NoError(t, err)
	assert.True(t, due)
	assert.Equal(t, "size", why)
}

// A compaction refuses, and changes nothing, when the segments after the snapshot are
// corrupt or missing.
func TestCompactionRefusesABrokenLog(t *testing.T) {
	w := newWorkload(t, 3000, 300, 11)
	base := compactDir(t, w)
	segs, err := listSegments(base)
	require.NoError(t, err)

	dir := copyDir(t, base)
	require.NoError(t, os.Remove(filepath.Join(dir, filepath.Base(segs[0].path))))
	before := names(t, dir)
	_, err = Compact(dir, ^uint64(0))
	assert.ErrorIs(t, err, ErrGap)
	assert.Equal(t, before, names(t, dir))

	dir = copyDir(t, base)
	p := filepath.Join(dir, filepath.Base(segs[1].path))
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	data[len(data)-3] ^= 1
	require.NoError(t, os.WriteFile(p, data, 0o644))
	before = names(t, dir)
	_, err = Compact(dir, ^uint64(0))
	assert.ErrorContains(t, err, "corrupt")
	assert.Equal(t, before, names(t, dir))
}

// A compaction's memory follows the keys of the folded records, not the snapshot's
// users: it streams the old snapshot's sorted keys into the new one.
func TestCompactionMemoryFollowsTheNewKeys(t *testing.T) {
	const users = 500_000 // 8 MB of keys
	dir := t.TempDir()
	writeSnapshot(t, dir, users)
	frame := typicalFrame(t)
	writeAll(t, dir, [2]uint64{1, 2}, 0, [][]byte{frame}, Options{})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	c, err := Compact(dir, ^uint64(0))
	require.NoError(t, err)
	runtime.ReadMemStats(&ms)
	assert.Equal(t, uint64(users+8), c.Users)
	assert.Less(t, ms.TotalAlloc-before, uint64(4<<20), "allocated %d bytes for %d users", ms.TotalAlloc-before, users)
}
