package store

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/bytedance/sonic/encoder"
	"github.com/onemrc/onemrc/event"
)

// Sinks keep benchmark results alive so no work is optimised away.
var (
	snapshotSink Snapshot
	statsSink    []byte
)

// benchUserIDs is the standard run's ids: "user_0" .. "user_74999".
func benchUserIDs() [][]byte {
	ids := make([][]byte, 75_000)
	for i := range ids {
		ids[i] = []byte("user_" + strconv.Itoa(i))
	}
	return ids
}

func BenchmarkRecord(b *testing.B) {
	ids := benchUserIDs()

	// known: the steady state of the standard run, every user already seen
	// on this loop (the local set is 2 MiB here, so lookups miss L1/L2).
	b.Run("known", func(b *testing.B) {
		s := New(Options{})
		sh := s.NewShard()
		for _, id := range ids {
			sh.Record(&event.Event{UserID: id, Value: smallValue(1)})
		}
		before := s.users.count.Load()
		b.SetBytes(int64(len(ids[0])))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			sh.Record(&event.Event{UserID: ids[i], Value: smallValue(int64(i) * nanosPerUnit)})
			if i++; i == len(ids) {
				i = 0
			}
		}
		if sh.requests < uint64(len(ids)) || s.users.count.Load() != before {
			b.Fatalf("known users were counted again: %d -> %d", before, s.users.count.Load())
		}
	})

	// known-hot: one user, so the set lookup stays in L1: the cost of
	// hashing and the sum alone.
	b.Run("known-hot", func(b *testing.B) {
		s := New(Options{})
		sh := s.NewShard()
		id := ids[12345]
		b.SetBytes(int64(len(id)))
		b.ReportAllocs()
		for b.Loop() {
			sh.Record(&event.Event{UserID: id, Value: smallValue(345 * nanosPerUnit)})
		}
		if s.users.count.Load() != 1 {
			b.Fatalf("one user counted %d times", s.users.count.Load())
		}
	})

	// new: every event is a user new to the process (local miss, global
	// insert under a mutex, amortized table growth up to 1M users).
	b.Run("new", func(b *testing.B) {
		const pool = 1 << 20
		newIDs := make([][]byte, pool)
		for i := range newIDs {
			newIDs[i] = []byte("user_" + strconv.Itoa(i))
		}
		s := New(Options{})
		sh := s.NewShard()
		b.SetBytes(int64(len(newIDs[pool/2])))
		b.ReportAllocs()
		i, counted := 0, uint64(0)
		for b.Loop() {
			if i == pool {
				b.StopTimer()
				counted += s.users.count.Load()
				s = New(Options{})
				sh = s.NewShard()
				i = 0
				b.StartTimer()
			}
			sh.Record(&event.Event{UserID: newIDs[i], Value: smallValue(1)})
			i++
		}
		if counted+s.users.count.Load() != uint64(b.N) {
			b.Fatalf("%d new users counted as %d", b.N, counted+s.users.count.Load())
		}
	})

	// slow: a value that is not Small (exact big arithmetic).
	b.Run("slow", func(b *testing.B) {
		s := New(Options{})
		sh := s.NewShard()
		id := ids[1]
		b.SetBytes(int64(len(id)))
		b.ReportAllocs()
		for b.Loop() {
			sh.Record(&event.Event{UserID: id, Value: textValue("0.1234567891")})
			sh.Publish() // keep the pending sum one value wide, as in real batches
		}
		if snap := s.Snapshot(); !snap.hasSlow() {
			b.Fatal("slow values lost")
		}
	})
}

func BenchmarkPublish(b *testing.B) {
	// changed: the seqlock write a loop pays once per batch.
	b.Run("changed", func(b *testing.B) {
		s := New(Options{})
		sh := s.NewShard()
		b.ReportAllocs()
		for b.Loop() {
			sh.requests++ // as if a batch had been recorded
			sh.Publish()
		}
		if s.Snapshot().TotalRequests != sh.requests {
			b.Fatal("not published")
		}
	})
	// unchanged: a batch with no counted event (only GETs, or errors).
	b.Run("unchanged", func(b *testing.B) {
		s := New(Options{})
		sh := s.NewShard()
		sh.Record(&event.Event{UserID: []byte("u"), Value: smallValue(1)})
		sh.Publish()
		seq := sh.pub.seq.Load()
		b.ReportAllocs()
		for b.Loop() {
			sh.Publish()
		}
		if sh.pub.seq.Load() != seq {
			b.Fatal("an idle Publish wrote")
		}
	})
}

// standardStore returns the store after the standard run over 2 loops:
// 1,000,000 events, 75,000 users, value i%1000.
func standardStore(b *testing.B) *Store {
	ids := benchUserIDs()
	s := New(Options{})
	shards := [2]*Shard{s.NewShard(), s.NewShard()}
	for i := range 1_000_000 {
		shards[i%2].Record(&event.Event{UserID: ids[i%len(ids)], Value: smallValue(int64(i%1000) * nanosPerUnit)})
	}
	shards[0].Publish()
	shards[1].Publish()
	if snap := s.Snapshot(); snap.UniqueUsers != 75_000 || snap.Avg() != 499.5 {
		b.Fatalf("standard run: %+v", snap)
	}
	return s
}

func BenchmarkSnapshot(b *testing.B) {
	s := standardStore(b)
	b.ReportAllocs()
	for b.Loop() {
		snapshotSink = s.Snapshot()
		if snapshotSink.TotalRequests != 1_000_000 {
			b.Fatal(snapshotSink.TotalRequests)
		}
	}
}

const standardStats = `{"totalRequests":1000000,"uniqueUsers":75000,"sum":499500000,"avg":499.5}`

func BenchmarkAppendStats(b *testing.B) {
	snap := standardStore(b).Snapshot()
	statsSink = make([]byte, 0, 128)
	b.SetBytes(int64(len(standardStats)))
	b.ReportAllocs()
	for b.Loop() {
		statsSink = AppendStats(statsSink[:0], &snap)
		if len(statsSink) != len(standardStats) {
			b.Fatal(string(statsSink))
		}
	}
	if string(statsSink) != standardStats {
		b.Fatal(string(statsSink))
	}
}

// The same object through encoding/json, the baseline.
func BenchmarkStatsEncodingJSON(b *testing.B) {
	snap := standardStore(b).Snapshot()
	b.SetBytes(int64(len(standardStats)))
	b.ReportAllocs()
	var err error
	for b.Loop() {
		statsSink, err = json.Marshal(statsJSON{snap.TotalRequests, snap.UniqueUsers, snap.Sum(), snap.Avg()})
		if err != nil || len(statsSink) != len(standardStats) {
			b.Fatal(err, string(statsSink))
		}
	}
	if string(statsSink) != standardStats {
		b.Fatal(string(statsSink))
	}
}

// The same object through sonic's encoder into a reused buffer.
func BenchmarkStatsSonic(b *testing.B) {
	snap := standardStore(b).Snapshot()
	statsSink = make([]byte, 0, 128)
	b.SetBytes(int64(len(standardStats)))
	b.ReportAllocs()
	for b.Loop() {
		statsSink = statsSink[:0]
		v := statsJSON{snap.TotalRequests, snap.UniqueUsers, snap.Sum(), snap.Avg()}
		if err := encoder.EncodeInto(&statsSink, &v, 0); err != nil || len(statsSink) != len(standardStats) {
			b.Fatal(err, string(statsSink))
		}
	}
	if string(statsSink) != standardStats {
		b.Fatal(string(statsSink))
	}
}

// slowStatsStore is the standard run plus the two legal values that reach the
// exact slow path and make its sum widest: one near float64's top and one
// 500-digit value near its bottom (issue 9).
func slowStatsStore(b *testing.B) (*Store, *Shard) {
	s := standardStore(b)
	sh := s.NewShard()
	for _, text := range []string{"1.7e308", "1.7" + strings.Repeat("7", 495) + "e-310"} {
		sh.Record(&event.Event{UserID: []byte("slow"), Value: textValue(text)})
	}
	sh.Publish()
	return s, sh
}

// BenchmarkStatsSlowSum is one GET /stats (Snapshot + AppendStats) once
// slow-path values were accepted: unchanged repeats /stats with nothing new
// (pipelined GETs), small records one Small event between answers (a busy
// daemon), slow one new slow value (which must be rounded anew).
func BenchmarkStatsSlowSum(b *testing.B) {
	for _, tc := range []struct {
		name    string
		between func(sh *Shard)
	}{
		{"unchanged", func(*Shard) {}},
		{"small", func(sh *Shard) { sh.Record(&event.Event{UserID: []byte("slow"), Value: smallValue(nanosPerUnit)}) }},
		{"slow", func(sh *Shard) { sh.Record(&event.Event{UserID: []byte("slow"), Value: textValue("1e-300")}) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s, sh := slowStatsStore(b)
			statsSink = make([]byte, 0, 128)
			b.ReportAllocs()
			for b.Loop() {
				tc.between(sh)
				sh.Publish()
				snap := s.Snapshot()
				statsSink = AppendStats(statsSink[:0], &snap)
				if len(statsSink) < len(`{"totalRequests":1000002,"uniqueUsers":75001,"sum":1.7e+308,"avg":1e+302}`) {
					b.Fatal(string(statsSink))
				}
			}
		})
	}
}
