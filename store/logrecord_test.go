package store

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/onemrc/onemrc/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Replaying every record two logging shards wrote, on a fresh store under the same seed,
// gives the totals, the exact sum and the users of the original, whatever the values and
// wherever the batches end.
func TestLogRecordsReplayToTheSameStore(t *testing.T) {
	for name, values := range map[string][]string{
		"small":    {"1", "2.5", "-0.75", "499"},
		"slow":     {"1e300", "0.1234567891", "-1e-300", "7"},
		"negative": {"-3", "-1e2", "0"},
	} {
		t.Run(name, func(t *testing.T) {
			orig := New(Options{LocalSetCap: 300}) // past the cap every sighting is logged
			shards := []*Shard{orig.NewShard(), orig.NewShard()}
			for _, sh := range shards {
				sh.EnableLog()
			}
			rng := rand.New(rand.NewPCG(1, 2))
			var records [][]byte
			var d event.Decoder
			var ev event.Event
			for i := range 20_000 {
				sh := shards[rng.IntN(2)]
				body := `{"userId":"user_` + strconv.Itoa(rng.IntN(1500)) + `","value":` + values[i%len(values)] + `}`
				require.NoError(t, d.Decode([]byte(body), &ev))
				sh.Record(&ev)
				if rng.IntN(7) == 0 { // a batch ends
					sh.Publish()
					if rec, ok := sh.AppendLogRecord(nil); ok {
						records = append(records, rec)
					}
				}
			}
			for _, sh := range shards {
				sh.Publish()
				if rec, ok := sh.AppendLogRecord(nil); ok {
					records = append(records, rec)
				}
				_, again := sh.AppendLogRecord(nil)
				assert.False(t, again, "a record with nothing in it")
			}

			replayed := New(Options{Seed: orig.Seed()})
			var rec LogRecord
			for _, p := range records {
				require.NoError(t, DecodeLogRecord(p, &rec))
				require.NoError(t, replayed.Apply(&rec))
			}
			want, got := orig.Snapshot(), replayed.Snapshot()
			assert.Equal(t, want.TotalRequests, got.TotalRequests)
			assert.Equal(t, want.UniqueUsers, got.UniqueUsers)
			assert.Zero(t, want.SumRat().Cmp(got.SumRat()), "sum %v, want %v", got.SumRat(), want.SumRat())

			// The compactor's fold agrees.
			var st State
			for _, p := range records {
				require.NoError(t, DecodeLogRecord(p, &rec))
				require.NoError(t, st.Apply(&rec))
			}
			assert.Equal(t, want.TotalRequests, st.TotalRequests)
			assert.Zero(t, want.SumDecimal().Cmp(st.Sum))
		})
	}
}

// A key that a loop finds already in the global set still goes into that loop's record
// when the loop has not logged it: its own record must be enough to restore the user.
func TestEveryRecordCarriesTheKeysItsLoopFirstSaw(t *testing.T) {
	s := New(Options{})
	a, b := s.NewShard(), s.NewShard()
	a.EnableLog()
	b.EnableLog()
	recordAll(t, a, []string{"shared"}, []string{"1"})
	recordAll(t, b, []string{"shared"}, []string{"2"})
	recB, ok := b.AppendLogRecord(nil)
	require.True(t, ok)
	var rec LogRecord
	require.NoError(t, DecodeLogRecord(recB, &rec))
	assert.Len(t, rec.Keys, 1, "b's record alone restores the user of b's event")

	// Only b's record survived (a's was torn): the user is still there.
	replayed := New(Options{Seed: s.Seed()})
	require.NoError(t, replayed.Apply(&rec))
	assert.Equal(t, uint64(1), replayed.Snapshot().UniqueUsers)
}

func TestDecodeLogRecordRejectsWhatNoWriterWrites(t *testing.T) {
	s := New(Options{})
	sh := s.NewShard()
	sh.EnableLog()
	recordAll(t, sh, []string{"a", "b"}, []string{"1e300", "2"})
	good, ok := sh.AppendLogRecord(nil)
	require.True(t, ok)
	var rec LogRecord
	require.NoError(t, DecodeLogRecord(good, &rec))

	mutate := func(f func(p []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	for name, p := range map[string][]byte{
		"empty":         nil,
		"short":         good[:logFixed-1],
		"version":       mutate(func(p []byte) []byte { p[0] = 9; return p }),
		"no events":     mutate(func(p []byte) []byte { binary.LittleEndian.PutUint64(p[1:], 0); return p }),
		"sign":          mutate(func(p []byte) []byte { p[29] = 7; return p }),
		"huge scale":    mutate(func(p []byte) []byte { binary.LittleEndian.PutUint32(p[25:], 1<<31-1); return p }),
		"mant too long": mutate(func(p []byte) []byte { binary.LittleEndian.PutUint16(p[30:], maxLogMantBytes+1); return p }),
		"more keys than events": mutate(func(p []byte) []byte {
			n := len(p) - 2*16 - 4
			binary.LittleEndian.PutUint32(p[n:], 3)
			return p
		}),
		"truncated key": good[:len(good)-1],
		"trailing byte": append(append([]byte(nil), good...), 0),
	} {
		assert.ErrorIs(t, DecodeLogRecord(p, &rec), ErrBadLogRecord, name)
	}
}
