package wal

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/checkpoint"
	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/store"
)

var sinkPos uint64

// typicalFrame is one loop's record for a batch of 32 events with 8 users new to the
// loop: what a pipelined client's OnTraffic logs.
func typicalFrame(b testing.TB) []byte {
	s := store.New(store.Options{})
	sh := s.NewShard()
	sh.EnableLog()
	var d event.Decoder
	var ev event.Event
	for i := range 32 {
		body := `{"userId":"user_` + itoa(int64(i%8)) + `","value":12.5}`
		require.NoError(b, d.Decode([]byte(body), &ev))
		sh.Record(&ev)
	}
	sh.Publish()
	f, start := BeginRecord(nil)
	f, _ = sh.AppendLogRecord(f)
	return EndRecord(f, start)
}

// Write of one typical frame: the write(2) every batch costs (no fdatasync).
func BenchmarkWrite(b *testing.B) {
	frame := typicalFrame(b)
	l, err := Open(b.TempDir(), [2]uint64{1, 2}, 0, Options{})
	require.NoError(b, err)
	defer l.Close()
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		end, err := l.Write(frame)
		if err != nil {
			b.Fatal(err)
		}
		sinkPos = end
	}
}

// Commit round trip from one goroutine: Write, Commit, wait for the wake (one
// fdatasync each: the latency a lone client sees with fsync always).
func BenchmarkCommit(b *testing.B) {
	frame := typicalFrame(b)
	l, err := Open(b.TempDir(), [2]uint64{1, 2}, 0, Options{})
	require.NoError(b, err)
	defer l.Close()
	done := make(chan uint64, 1)
	wake := func(d uint64) { done <- d }
	b.ReportAllocs()
	for b.Loop() {
		end, err := l.Write(frame)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Commit(end, wake); err != nil {
			b.Fatal(err)
		}
		if d := <-done; d < end {
			b.Fatal("not durable")
		}
	}
}

// Commit round trip from 8 goroutines at once: how far group commit shares an fdatasync.
func BenchmarkCommitParallel(b *testing.B) {
	frame := typicalFrame(b)
	l, err := Open(b.TempDir(), [2]uint64{1, 2}, 0, Options{})
	require.NoError(b, err)
	defer l.Close()
	b.SetParallelism(4) // 4 x GOMAXPROCS goroutines
	b.RunParallel(func(pb *testing.PB) {
		done := make(chan uint64, 1)
		wake := func(d uint64) { done <- d }
		for pb.Next() {
			end, err := l.Write(frame)
			if err != nil {
				b.Fatal(err)
			}
			if err := l.Commit(end, wake); err != nil {
				b.Fatal(err)
			}
			<-done
		}
	})
	st := l.Stats()
	b.ReportMetric(float64(st.SyncedRecords)/float64(max(st.Syncs, 1)), "records/fdatasync")
}

// writeSnapshot writes a version 2 snapshot of users keys (one event each) to dir.
func writeSnapshot(t testing.TB, dir string, users int) {
	f, err := checkpoint.Create(dir, checkpoint.Meta{Seed: [2]uint64{1, 2}, TotalRequests: uint64(users)})
	require.NoError(t, err)
	for i := range users {
		require.NoError(t, f.Add([2]uint64{uint64(i), uint64(i) * 0xbf58476d1ce4e5b9}))
	}
	_, err = f.Commit()
	require.NoError(t, err)
}

// Recover of a 1M-key snapshot and a 64-record log.
func BenchmarkRecover1M(b *testing.B) {
	dir := b.TempDir()
	writeSnapshot(b, dir, 1_000_000)
	frame := typicalFrame(b)
	l, err := Open(dir, [2]uint64{1, 2}, 0, Options{})
	require.NoError(b, err)
	for range 64 {
		_, err := l.Write(frame)
		require.NoError(b, err)
	}
	require.NoError(b, l.Close())
	b.ReportAllocs()
	for b.Loop() {
		// Recover removes the empty segment Open would create; nothing else changes.
		s, rc, err := Recover(dir, nil)
		if err != nil || s.Snapshot().UniqueUsers != 1_000_000+8 {
			b.Fatal(err, rc)
		}
	}
}

// A 10,000,000-key snapshot loads and restores; the time is logged, never asserted.
func TestRecoverTenMillionKeys(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("10M keys: seconds and ~1 GiB; run without -short and -race")
	}
	const users = 10_000_000
	dir := t.TempDir()
	start := time.Now()
	writeSnapshot(t, dir, users)
	wrote := time.Since(start)
	paths, err := checkpoint.List(dir)
	require.NoError(t, err)
	info, err := os.Stat(paths[0])
	require.NoError(t, err)

	runtime.GC()
	start = time.Now()
	s, rc, err := Recover(dir, nil)
	require.NoError(t, err)
	took := time.Since(start)
	require.Equal(t, uint64(users), s.Snapshot().UniqueUsers)
	require.Equal(t, filepath.Base(paths[0]), filepath.Base(rc.Snapshot))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("10M keys: snapshot %d MiB written in %v; Recover (load + restore) %v; heap in use %d MiB",
		info.Size()>>20, wrote.Round(time.Millisecond), took.Round(time.Millisecond), ms.HeapInuse>>20)

	// And a compaction that adds 1000 new keys to it: memory follows the new keys.
	l, err := Open(dir, s.Seed(), rc.Position, Options{})
	require.NoError(t, err)
	sh := s.NewShard()
	sh.EnableLog()
	var d event.Decoder
	var ev event.Event
	for i := range 1000 {
		require.NoError(t, d.Decode([]byte(`{"userId":"new_`+itoa(int64(i))+`","value":1}`), &ev))
		sh.Record(&ev)
	}
	sh.Publish()
	f, fs := BeginRecord(nil)
	f, _ = sh.AppendLogRecord(f)
	_, err = l.Write(EndRecord(f, fs))
	require.NoError(t, err)
	require.NoError(t, l.Close())
	s = nil
	runtime.GC()
	runtime.ReadMemStats(&ms)
	allocated := ms.TotalAlloc
	start = time.Now()
	c, err := Compact(dir, ^uint64(0))
	require.NoError(t, err)
	took = time.Since(start)
	runtime.ReadMemStats(&ms)
	t.Logf("compaction of 10M + 1000 new keys: %v, %d MiB written, %d KiB allocated (O(new keys), not O(users))",
		took.Round(time.Millisecond), c.Bytes>>20, (ms.TotalAlloc-allocated)>>10)
	require.Equal(t, uint64(users+1000), c.Users)
}
