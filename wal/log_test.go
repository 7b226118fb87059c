package wal

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFrameRoundTrip(t *testing.T) {
	for _, payload := range [][]byte{{1}, bytes.Repeat([]byte{7}, 1000)} {
		buf := []byte("before")
		buf, start := BeginRecord(buf)
		assert.Equal(t, 6, start)
		buf = append(buf, payload...)
		buf = EndRecord(buf, start)
		frame := buf[start:]
		assert.Equal(t, uint32(len(payload)), binary.LittleEndian.Uint32(frame))
		assert.Equal(t, payload, frame[frameHeader:])
		n, ok := countFrames(append(bytes.Clone(frame), frame...))
		assert.True(t, ok)
		assert.Equal(t, 2, n)
		_, ok = countFrames(frame[:len(frame)-1])
		assert.False(t, ok, "a cut frame")
	}
	buf, start := BeginRecord(nil)
	assert.Panics(t, func() { EndRecord(buf, start) }, "an empty payload")
	assert.Empty(t, CancelRecord(buf, start))
}

func TestSegmentHeader(t *testing.T) {
	h := segHeader{seed: [2]uint64{1, 2}, start: 1 << 40}
	b := appendSegHeader(nil, h)
	require.Len(t, b, segHeaderLen)
	got, err := parseSegHeader(b)
	require.NoError(t, err)
	assert.Equal(t, h, got)
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x10
		_, err := parseSegHeader(c)
		assert.ErrorIs(t, err, errBadHeader, "byte %d flipped", i)
	}
	for n := range b {
		_, err := parseSegHeader(b[:n])
		assert.ErrorIs(t, err, errBadHeader, "cut to %d bytes", n)
	}
	assert.Equal(t, "wal-00000000000000001234.log", segName(1234))
}

// Records written through the log, across many segments, replay to exactly the store
// that wrote them.
func TestReplayEqualsTheStoreThatWrote(t *testing.T) {
	for _, tc := range []struct {
		name    string
		events  int
		segSize int64
	}{
		{"one segment", 2000, 0},
		{"many segments", 20_000, 4 << 10},
		{"a segment per write", 3000, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorkload(t, tc.events, 500, 1)
			dir := t.TempDir()
			end := writeAll(t, dir, w.orig.Seed(), 0, w.frames, Options{SegmentBytes: tc.segSize})
			s, rc, err := Recover(dir, nil)
			require.NoError(t, err)
			assert.Equal(t, stateOf(w.orig), stateOf(s))
			assert.Equal(t, end, rc.Position)
			assert.Equal(t, len(w.frames), rc.Records)
			assert.Equal(t, w.orig.Seed(), s.Seed())
			assert.Zero(t, rc.BytesCut)
			assert.Empty(t, rc.MovedAside)
			if tc.segSize > 0 {
				assert.Greater(t, rc.Segments, 3)
			}
		})
	}
}

// Segments roll over once they pass SegmentBytes: each is named for its first record's
// position, which is where the one before it ends.
func TestRollover(t *testing.T) {
	w := newWorkload(t, 5000, 300, 2)
	dir := t.TempDir()
	l, err := Open(dir, w.orig.Seed(), 100, Options{SegmentBytes: 2 << 10})
	require.NoError(t, err)
	for _, f := range w.frames {
		_, err := l.Write(f)
		require.NoError(t, err)
	}
	stats := l.Stats()
	require.NoError(t, l.Close())
	segs, err := listSegments(dir)
	require.NoError(t, err)
	require.Greater(t, len(segs), 3)
	assert.Equal(t, uint64(len(segs)-1), stats.Rolls)
	pos := uint64(100)
	for i, s := range segs {
		h, err := readSegHeader(s.path)
		require.NoError(t, err)
		assert.Equal(t, pos, h.start)
		assert.Equal(t, w.orig.Seed(), h.seed)
		assert.Equal(t, filepath.Join(dir, segName(pos)), s.path)
		if i < len(segs)-1 {
			assert.GreaterOrEqual(t, s.size-segHeaderLen, int64(2<<10), "rolled only past SegmentBytes")
		}
		pos = s.end()
	}
	assert.Equal(t, stats.Written, pos)
	assert.Equal(t, uint64(len(w.frames)), stats.Records)
	assert.Equal(t, pos-100, stats.Bytes)
}

func TestWriteRefusesWhatIsNotWholeFrames(t *testing.T) {
	l, err := Open(t.TempDir(), [2]uint64{1, 2}, 0, Options{})
	require.NoError(t, err)
	defer l.Close()
	frame, start := BeginRecord(nil)
	frame = EndRecord(append(frame, 1, 2, 3), start)
	for _, b := range [][]byte{nil, frame[:5], frame[:len(frame)-1], append(bytes.Clone(frame), 0)} {
		_, err := l.Write(b)
		assert.ErrorIs(t, err, ErrNotFrames)
	}
	end, err := l.Write(frame)
	require.NoError(t, err)
	assert.Equal(t, uint64(len(frame)), end)
	assert.NoError(t, l.Err(), "a refused Write is the caller's bug, not a failure of the log")
}

// Many goroutines commit at once: every wake says its records are durable, and one
// fdatasync serves many Commits.
func TestGroupCommit(t *testing.T) {
	const writers, each = 16, 100
	w := newWorkload(t, 200, 100, 3)
	l, err := Open(t.TempDir(), w.orig.Seed(), 0, Options{SegmentBytes: 64 << 10})
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []string
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan uint64, 1)
			for i := range each {
				end, err := l.Write(w.frames[(g*each+i)%len(w.frames)])
				if err != nil {
					panic(err)
				}
				if err := l.Commit(end, func(durable uint64) { done <- durable }); err != nil {
					panic(err)
				}
				if durable := <-done; durable < end {
					mu.Lock()
					bad = append(bad, "woken before durable")
					mu.Unlock()
				}
				assert.GreaterOrEqual(t, l.Durable(), end)
			}
		}()
	}
	wg.Wait()
	st := l.Stats()
	require.NoError(t, l.Close())
	assert.Empty(t, bad)
	assert.Equal(t, uint64(writers*each), st.Commits)
	assert.Less(t, st.Syncs, st.Commits, "one fdatasync serves several commits")
	assert.Equal(t, st.Records, st.SyncedRecords, "every record written was made durable")
	t.Logf("%d commits, %d fdatasyncs, %.1f records per fdatasync", st.Commits, st.Syncs, float64(st.SyncedRecords)/float64(st.Syncs))
}

// A Commit for a position that is durable already is served without an fdatasync;
// Close serves what is pending and refuses what comes after.
func TestCommitAfterDurableAndClose(t *testing.T) {
	l, err := Open(t.TempDir(), [2]uint64{1, 2}, 0, Options{})
	require.NoError(t, err)
	frame, start := BeginRecord(nil)
	frame = EndRecord(append(frame, 1), start)
	end, err := l.Write(frame)
	require.NoError(t, err)
	durable, err := l.Sync()
	require.NoError(t, err)
	require.Equal(t, end, durable)
	syncs := l.Stats().Syncs
	done := make(chan uint64, 1)
	require.NoError(t, l.Commit(end, func(d uint64) { done <- d }))
	assert.Equal(t, end, <-done)
	assert.Equal(t, syncs, l.Stats().Syncs)

	end, err = l.Write(frame)
	require.NoError(t, err)
	require.NoError(t, l.Commit(end, func(d uint64) { done <- d }))
	require.NoError(t, l.Close())
	assert.GreaterOrEqual(t, <-done, end)
	assert.ErrorIs(t, l.Commit(end, func(uint64) {}), ErrClosed)
	_, err = l.Write(frame)
	assert.ErrorIs(t, err, ErrClosed)
}

// A failed write stops the log: every later Write and Commit returns the first error,
// and nothing is ever reported durable past what was before it (fsyncgate: no retry).
func TestFailureIsSticky(t *testing.T) {
	l, err := Open(t.TempDir(), [2]uint64{1, 2}, 0, Options{})
	require.NoError(t, err)
	frame, start := BeginRecord(nil)
	frame = EndRecord(append(frame, 1), start)
	end, err := l.Write(frame)
	require.NoError(t, err)
	_, err = l.Sync()
	require.NoError(t, err)

	l.mu.Lock()
	require.NoError(t, l.f.Close()) // the file goes bad underneath
	l.mu.Unlock()
	_, err = l.Write(frame)
	require.Error(t, err)
	first := err
	_, err = l.Write(frame)
	assert.Equal(t, first, err)
	assert.Equal(t, first, l.Commit(end, func(uint64) {}))
	d, err := l.Sync()
	assert.Equal(t, first, err)
	assert.Equal(t, end, d)
	assert.True(t, l.Stats().Failed)
	assert.Error(t, l.Close())
}

// A failed fdatasync wakes the waiting commits with the position that was durable before
// it, below their ends: they must not be acknowledged.
func TestFailedSyncWakesBelowEnd(t *testing.T) {
	l, err := Open(t.TempDir(), [2]uint64{1, 2}, 0, Options{})
	require.NoError(t, err)
	frame, start := BeginRecord(nil)
	frame = EndRecord(append(frame, 1), start)
	end, err := l.Write(frame)
	require.NoError(t, err)
	l.mu.Lock()
	require.NoError(t, l.f.Close())
	l.mu.Unlock()
	done := make(chan uint64, 1)
	require.NoError(t, l.Commit(end, func(d uint64) { done <- d }))
	assert.Less(t, <-done, end)
	assert.Error(t, l.Err())
	assert.ErrorIs(t, l.Commit(end, func(uint64) {}), l.Err())
	l.Close()
}

func TestSyncEvery(t *testing.T) {
	l, err := Open(t.TempDir(), [2]uint64{1, 2}, 0, Options{})
	require.NoError(t, err)
	l.SyncEvery(time.Millisecond)
	frame, start := BeginRecord(nil)
	frame = EndRecord(append(frame, 1), start)
	end, err := l.Write(frame)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return l.Durable() >= end }, 5*time.Second, time.Millisecond)
	require.NoError(t, l.Close())
}

func TestOpenRefusesAnExistingSegment(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, [2]uint64{1, 2}, 0, Options{})
	require.NoError(t, err)
	require.NoError(t, l.Close())
	_, err = Open(dir, [2]uint64{1, 2}, 0, Options{})
	assert.ErrorIs(t, err, os.ErrExist)
}
