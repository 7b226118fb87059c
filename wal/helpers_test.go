package wal

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/store"
)

// workload is the records two logging shards wrote, one frame each, in log order, and
// the store that wrote them.
type workload struct {
	orig   *store.Store
	frames [][]byte
}

// newWorkload records events on two logging shards of one store, ending batches at
// random, as two event loops would, and frames each batch's record.
func newWorkload(t testing.TB, events, users int, seed uint64) *workload {
	values := []string{"1", "2.5", "-0.75", "499", "1e300", "0.1234567891", "-1e-300", "7"}
	w := &workload{orig: store.New(store.Options{LocalSetCap: users / 3})}
	shards := []*store.Shard{w.orig.NewShard(), w.orig.NewShard()}
	for _, sh := range shards {
		sh.EnableLog()
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	var d event.Decoder
	var ev event.Event
	flush := func(sh *store.Shard) {
		sh.Publish()
		frame, start := BeginRecord(nil)
		frame, ok := sh.AppendLogRecord(frame)
		if ok {
			w.frames = append(w.frames, EndRecord(frame, start))
		}
	}
	for i := range events {
		sh := shards[rng.IntN(2)]
		body := `{"userId":"user_` + strconv.Itoa(rng.IntN(users)) + `","value":` + values[i%len(values)] + `}`
		require.NoError(t, d.Decode([]byte(body), &ev))
		sh.Record(&ev)
		if rng.IntN(5) == 0 {
			flush(sh)
		}
	}
	for _, sh := range shards {
		flush(sh)
	}
	return w
}

// state is what a store holds, comparably.
type state struct {
	Total, Users uint64
	Sum          string // exact, as a fraction
}

func stateOf(s *store.Store) state {
	snap := s.Snapshot()
	return state{snap.TotalRequests, snap.UniqueUsers, snap.SumRat().RatString()}
}

// prefixes returns the state after each prefix of frames (prefixes[k]: the first k)
// replayed onto a store under seed.
func prefixes(t testing.TB, seed [2]uint64, frames [][]byte) []state {
	s := store.New(store.Options{Seed: seed})
	out := []state{stateOf(s)}
	var rec store.LogRecord
	for _, f := range frames {
		require.NoError(t, store.DecodeLogRecord(f[frameHeader:], &rec))
		require.NoError(t, s.Apply(&rec))
		out = append(out, stateOf(s))
	}
	return out
}

// writeAll writes frames through a log in dir (opened at start), a few frames per Write,
// and closes it; it returns the log's end position.
func writeAll(t testing.TB, dir string, seed [2]uint64, start uint64, frames [][]byte, opts Options) uint64 {
	l, err := Open(dir, seed, start, opts)
	require.NoError(t, err)
	var buf []byte
	end := start
	for i, f := range frames {
		buf = append(buf, f...)
		if i%3 == 2 || i == len(frames)-1 {
			end, err = l.Write(buf)
			require.NoError(t, err)
			buf = buf[:0]
		}
	}
	require.NoError(t, l.Close())
	return end
}

// copyDir copies the regular files of src into a new temporary directory.
func copyDir(t testing.TB, src string) string {
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644))
	}
	return dst
}

func names(t testing.TB, dir string) []string {
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
