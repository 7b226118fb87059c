package wal

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/checkpoint"
	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/store"
)

// tornDir writes frames in two segments (the second holding the last few records) and
// returns the directory, the last segment's path and the file offset of each of its
// records.
func tornDir(t *testing.T, w *workload, lastRecords int) (dir, last string, offsets []int64) {
	dir = t.TempDir()
	split := len(w.frames) - lastRecords
	end := writeAll(t, dir, w.orig.Seed(), 0, w.frames[:split], Options{})
	writeAll(t, dir, w.orig.Seed(), end, w.frames[split:], Options{})
	last = filepath.Join(dir, segName(end))
	off := int64(segHeaderLen)
	for _, f := range w.frames[split:] {
		offsets = append(offsets, off)
		off += int64(len(f))
	}
	return dir, last, append(offsets, off)
}

// recoverPrefix recovers dir and returns the number of records whose state it restored,
// failing unless the state is exactly that of a prefix of the records.
func recoverPrefix(t *testing.T, dir string, want []state, why string) (int, Recovery) {
	s, rc, err := Recover(dir, nil)
	require.NoError(t, err, why)
	got := stateOf(s)
	k := slices.Index(want, got)
	require.GreaterOrEqual(t, k, 0, "%s: restored %+v, the state after no prefix", why, got)
	return k, rc
}

// A torn last segment, cut at every byte of its last three records, or with any one
// byte of them flipped, restores exactly the state after some prefix of the records:
// never an error, never more than was written. The log then continues from there.
func TestTornTailRestoresAPrefix(t *testing.T) {
	w := newWorkload(t, 300, 40, 4)
	want := prefixes(t, w.orig.Seed(), w.frames)
	const lastRecords = 3
	n := len(w.frames)
	orig, last, offsets := tornDir(t, w, lastRecords)
	data, err := os.ReadFile(last)
	require.NoError(t, err)
	require.Equal(t, offsets[lastRecords], int64(len(data)))

	t.Run("cut", func(t *testing.T) {
		for cut := offsets[0]; cut <= offsets[lastRecords]; cut++ {
			dir := copyDir(t, orig)
			require.NoError(t, os.Truncate(filepath.Join(dir, filepath.Base(last)), cut))
			k, rc := recoverPrefix(t, dir, want, "cut at "+itoa(cut))
			// Exactly the records wholly before the cut survive.
			whole := n - lastRecords
			for i := range lastRecords {
				if offsets[i+1] <= cut {
					whole = n - lastRecords + i + 1
				}
			}
			require.Equal(t, whole, k, "cut at %d", cut)
			require.Equal(t, !slices.Contains(offsets, cut), rc.BytesCut > 0, "cut at %d", cut)
		}
	})
	t.Run("flip", func(t *testing.T) {
		for off := offsets[0]; off < offsets[lastRecords]; off++ {
			dir := copyDir(t, orig)
			c := bytes.Clone(data)
			c[off] ^= 0x5a
			require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(last)), c, 0o644))
			k, _ := recoverPrefix(t, dir, want, "flip at "+itoa(off))
			// Records before the flipped one survive; it and those after do not.
			rec := 0
			for offsets[rec+1] <= off {
				rec++
			}
			require.Equal(t, n-lastRecords+rec, k, "flip at %d", off)
		}
	})
	t.Run("continues", func(t *testing.T) {
		// Cut in the middle of the second-to-last record, recover, write the
		// lost records again through a new log, recover again: everything.
		dir := copyDir(t, orig)
		require.NoError(t, os.Truncate(filepath.Join(dir, filepath.Base(last)), offsets[1]+5))
		k, rc := recoverPrefix(t, dir, want, "cut")
		require.Equal(t, n-lastRecords+1, k)
		writeAll(t, dir, w.orig.Seed(), rc.Position, w.frames[k:], Options{})
		k, rc = recoverPrefix(t, dir, want, "rewritten")
		assert.Equal(t, n, k)
		assert.Zero(t, rc.BytesCut)
	})
}

func itoa(n int64) string { return big.NewInt(n).String() }

// A corrupt record before the last segment ends replay there: the consistent prefix is
// kept, the later segments are moved aside and never replayed after newer records.
func TestCorruptionBeforeTheLastSegment(t *testing.T) {
	w := newWorkload(t, 3000, 200, 5)
	want := prefixes(t, w.orig.Seed(), w.frames)
	dir := t.TempDir()
	writeAll(t, dir, w.orig.Seed(), 0, w.frames, Options{SegmentBytes: 2 << 10})
	segs, err := listSegments(dir)
	require.NoError(t, err)
	require.Greater(t, len(segs), 3)

	// Flip a byte in the middle of the second segment.
	victim := segs[1]
	data, err := os.ReadFile(victim.path)
	require.NoError(t, err)
	data[len(data)/2] ^= 0xff
	require.NoError(t, os.WriteFile(victim.path, data, 0o644))

	k, rc := recoverPrefix(t, dir, want, "corrupt")
	assert.Less(t, k, len(w.frames))
	assert.Len(t, rc.MovedAside, len(segs)-2)
	for _, p := range rc.MovedAside {
		assert.True(t, strings.HasSuffix(p, corruptSuffix), p)
	}
	// New records follow the prefix; the moved-aside ones never come back.
	writeAll(t, dir, w.orig.Seed(), rc.Position, w.frames[k:], Options{})
	k2, rc2 := recoverPrefix(t, dir, want, "after")
	assert.Equal(t, len(w.frames), k2)
	assert.Empty(t, rc2.MovedAside)
	assert.Zero(t, rc2.BytesCut)
}

// What a crash leaves at any point of a segment's life starts: no segment, a segment
// with a torn header, a segment with nothing but its header.
func TestRecoverStartsFromAnyCrashState(t *testing.T) {
	seed := [2]uint64{3, 4}
	hdr := appendSegHeader(nil, segHeader{seed: seed, start: 0})
	for name, content := range map[string][]byte{
		"empty file":   {},
		"torn header":  hdr[:17],
		"header only":  hdr,
		"zeroed frame": append(bytes.Clone(hdr), make([]byte, 64)...),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, segName(0)), content, 0o644))
			s, rc, err := Recover(dir, nil)
			require.NoError(t, err)
			assert.Equal(t, uint64(0), s.Snapshot().TotalRequests)
			assert.Zero(t, rc.Position)
			l, err := Open(dir, s.Seed(), rc.Position, Options{})
			require.NoError(t, err, "the writer opens where recovery ended")
			require.NoError(t, l.Close())
		})
	}
	t.Run("nothing", func(t *testing.T) {
		s, rc, err := Recover(filepath.Join(t.TempDir(), "new"), nil)
		require.NoError(t, err)
		assert.NotZero(t, s.Seed())
		assert.Equal(t, Recovery{Seed: s.Seed(), Took: rc.Took}, rc)
	})
}

// A snapshot and a log under different seeds are refused, loudly.
func TestSeedMismatchRefused(t *testing.T) {
	w := newWorkload(t, 500, 50, 6)
	dir := t.TempDir()
	writeAll(t, dir, w.orig.Seed(), 0, w.frames, Options{})
	other := store.New(store.Options{})
	_, err := checkpoint.WriteAt(dir, other.State(), 0)
	require.NoError(t, err)
	_, _, err = Recover(dir, nil)
	require.ErrorIs(t, err, ErrSeedMismatch)
	assert.Contains(t, err.Error(), "mixes two stores' files")
	_, err = Compact(dir, ^uint64(0))
	assert.ErrorIs(t, err, ErrSeedMismatch)
}

// The daemon reads a version 1 checkpoint (written before the log) once; the log
// continues it from position 0 and the first compaction writes version 2.
func TestV1CheckpointReadAndConverted(t *testing.T) {
	before := newWorkload(t, 2000, 300, 7)
	v1 := before.orig.State()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "onemrc-00000000000000000001.ckpt"), encodeV1(v1), 0o644))

	s, rc, err := Recover(dir, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, rc.SnapshotVersion)
	assert.Zero(t, rc.Position)
	assert.Equal(t, stateOf(before.orig), stateOf(s))

	// Events after the restart, logged by shards of the restored store.
	sh := s.NewShard()
	sh.EnableLog()
	var frames [][]byte
	var d event.Decoder
	var ev event.Event
	for i, body := range []string{`{"userId":"user_1","value":5}`, `{"userId":"fresh","value":1e300}`, `{"userId":"user_2","value":-3}`} {
		require.NoError(t, d.Decode([]byte(body), &ev))
		sh.Record(&ev)
		sh.Publish()
		f, start := BeginRecord(nil)
		f, ok := sh.AppendLogRecord(f)
		require.True(t, ok, i)
		frames = append(frames, EndRecord(f, start))
	}
	end := writeAll(t, dir, s.Seed(), rc.Position, frames, Options{})

	c, err := Compact(dir, ^uint64(0))
	require.NoError(t, err)
	assert.Equal(t, end, c.Position)
	_, m, path, _, err := checkpoint.LoadNewest(dir)
	require.NoError(t, err)
	assert.Equal(t, c.Snapshot, path)
	assert.Equal(t, 2, m.Version)
	assert.Equal(t, end, m.Position)
	segs, err := listSegments(dir)
	require.NoError(t, err)
	assert.Empty(t, segs, "folded")

	r, rc, err := Recover(dir, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, rc.SnapshotVersion)
	assert.Equal(t, stateOf(s), stateOf(r))
	assert.Equal(t, uint64(1), stateOf(r).Users-stateOf(before.orig).Users, "one new user")
}

// encodeV1 writes st as onemrcd wrote checkpoints before the log (version 1).
func encodeV1(st store.State) []byte {
	var b []byte
	b = append(b, "ONEMRCCK"...)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint64(b, st.Seed[0])
	b = binary.LittleEndian.AppendUint64(b, st.Seed[1])
	b = binary.LittleEndian.AppendUint64(b, st.TotalRequests)
	b = binary.LittleEndian.AppendUint32(b, uint32(int32(st.Sum.Scale())))
	b = append(b, byte(int8(st.Sum.Sign())))
	mant := st.Sum.Mant().Bytes()
	b = binary.LittleEndian.AppendUint32(b, uint32(len(mant)))
	b = append(b, mant...)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(st.Users)))
	for _, k := range st.Users {
		b = binary.LittleEndian.AppendUint64(b, k[0])
		b = binary.LittleEndian.AppendUint64(b, k[1])
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

// When the newest snapshot is corrupt, Recover falls back to the older one; the log no
// longer continues it (the segments between were folded and deleted), so the segments
// after the gap are moved aside, loudly, and the daemon starts from the older snapshot.
// Without any snapshot, a log that does not begin at 0 is refused.
func TestCorruptNewestSnapshotLeavesAGap(t *testing.T) {
	w := newWorkload(t, 3000, 300, 13)
	want := prefixes(t, w.orig.Seed(), w.frames)
	dir := t.TempDir()
	third := len(w.frames) / 3
	end := writeAll(t, dir, w.orig.Seed(), 0, w.frames[:third], Options{})
	_, err := Compact(dir, ^uint64(0))
	require.NoError(t, err)
	end = writeAll(t, dir, w.orig.Seed(), end, w.frames[third:2*third], Options{})
	c, err := Compact(dir, ^uint64(0))
	require.NoError(t, err)
	writeAll(t, dir, w.orig.Seed(), end, w.frames[2*third:], Options{})

	data, err := os.ReadFile(c.Snapshot)
	require.NoError(t, err)
	data[len(data)/2] ^= 0xff
	require.NoError(t, os.WriteFile(c.Snapshot, data, 0o644))
	k, rc := recoverPrefix(t, dir, want, "older snapshot")
	assert.Equal(t, third, k)
	assert.Len(t, rc.MovedAside, 1)

	// No snapshot at all.
	dir = t.TempDir()
	writeAll(t, dir, w.orig.Seed(), 500, w.frames, Options{})
	_, _, err = Recover(dir, nil)
	assert.ErrorIs(t, err, ErrGap)
}
