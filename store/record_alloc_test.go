//go:build !race

package store

import (
	"strconv"
	"testing"

	"github.com/onemrc/onemrc/event"
	"github.com/stretchr/testify/assert"
)

// userIDs returns "user_0" .. "user_{n-1}" as byte slices.
func userIDs(n int) [][]byte {
	ids := make([][]byte, n)
	for i := range ids {
		ids[i] = []byte("user_" + strconv.Itoa(i))
	}
	return ids
}

// A known user costs no allocation: searched in the global set without a lock (a loop
// that does not log), or found in the loop's local set (a loop that logs). The users are
// met first by another loop, so the searching loop also refreshes its copies of the
// parts' tables (partView) on the way, which allocates nothing either.
func TestRecordKnownUserDoesNotAllocate(t *testing.T) {
	for _, log := range []bool{false, true} {
		s := New(Options{})
		first, sh := s.NewShard(), s.NewShard()
		if log {
			sh.EnableLog()
		}
		ids := userIDs(75_000)
		for _, id := range ids {
			first.Record(&event.Event{UserID: id, Value: smallValue(1)})
			if log {
				sh.Record(&event.Event{UserID: id, Value: smallValue(1)})
			}
		}
		i := 0
		allocs := testing.AllocsPerRun(10_000, func() {
			sh.Record(&event.Event{UserID: ids[i%len(ids)], Value: smallValue(int64(i))})
			i++
		})
		assert.Zero(t, allocs, "log %v", log)
	}
}

// New users allocate only when a set grows, which amortizes below one
// allocation per user (AllocsPerRun reports the integer mean).
func TestRecordNewUserDoesNotAllocateAmortized(t *testing.T) {
	s := New(Options{})
	sh := s.NewShard()
	ids := userIDs(300_001)
	i := 0
	allocs := testing.AllocsPerRun(300_000, func() {
		sh.Record(&event.Event{UserID: ids[i], Value: smallValue(1)})
		i++
	})
	assert.Zero(t, allocs)
	assert.Equal(t, uint64(300_001), s.users.count.Load(), "every id was new")
}

// With the tables already large enough, a new user costs no allocation at all.
func TestRecordNewUserIntoWarmTablesDoesNotAllocate(t *testing.T) {
	s := New(Options{})
	sh := s.NewShard()
	const n = 20_000
	for p := range s.users.parts {
		s.users.parts[p].reserve(n / 64) // far above n/256 per part
	}
	ids := userIDs(n + 1)
	i := 0
	allocs := testing.AllocsPerRun(n, func() {
		sh.Record(&event.Event{UserID: ids[i], Value: smallValue(1)})
		i++
	})
	assert.Zero(t, allocs)
}

func TestPublishDoesNotAllocate(t *testing.T) {
	s := New(Options{})
	sh := s.NewShard()
	id := []byte("user_1")
	allocs := testing.AllocsPerRun(1000, func() {
		sh.Record(&event.Event{UserID: id, Value: smallValue(3)})
		sh.Publish()
	})
	assert.Zero(t, allocs)
}

func TestSnapshotAndAppendStatsDoNotAllocate(t *testing.T) {
	s := New(Options{})
	a, b := s.NewShard(), s.NewShard()
	ids := userIDs(1000)
	for i, id := range ids {
		a.Record(&event.Event{UserID: id, Value: smallValue(int64(i%1000) * nanosPerUnit)})
		b.Record(&event.Event{UserID: id, Value: smallValue(int64(i%7)*nanosPerUnit + 333_333_333)})
	}
	a.Publish()
	b.Publish()
	buf := make([]byte, 0, 128)
	allocs := testing.AllocsPerRun(1000, func() {
		snap := s.Snapshot()
		buf = AppendStats(buf[:0], &snap)
	})
	assert.Zero(t, allocs)
	assert.Equal(t, `{"totalRequests":2000,"uniqueUsers":1000,"sum":502830.333333,"avg":251.4151666665}`, string(buf))

	// Sums that need the integer long division allocate nothing either.
	snap := Snapshot{TotalRequests: 3, nanos: int128{hi: 5, lo: 12345}}
	allocs = testing.AllocsPerRun(1000, func() {
		buf = AppendStats(buf[:0], &snap)
	})
	assert.Zero(t, allocs)
}

// With slow values, a /stats that repeats the last one (pipelined GETs, nothing new)
// reuses its answer: no conversion, no arithmetic, no allocation.
func TestRepeatedSlowStatsDoNotAllocate(t *testing.T) {
	s := New(Options{})
	sh := s.NewShard()
	for _, text := range wideSlowValues {
		sh.Record(&event.Event{UserID: []byte("u"), Value: textValue(text)})
	}
	sh.Publish()
	buf := make([]byte, 0, 128)
	snap := s.Snapshot()
	want := string(AppendStats(buf[:0], &snap))
	allocs := testing.AllocsPerRun(1000, func() {
		sh.Publish()
		snap := s.Snapshot()
		buf = AppendStats(buf[:0], &snap)
	})
	assert.Zero(t, allocs)
	assert.Equal(t, want, string(buf))
}

// A logging shard's record of a batch of known users allocates nothing in steady state.
func TestAppendLogRecordAllocatesNothing(t *testing.T) {
	s := New(Options{})
	sh := s.NewShard()
	sh.EnableLog()
	var d event.Decoder
	var ev event.Event
	if err := d.Decode([]byte(`{"userId":"user_1","value":12.5}`), &ev); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 1024)
	for range 10 {
		sh.Record(&ev)
		sh.Publish()
		buf, _ = sh.AppendLogRecord(buf[:0])
	}
	allocs := testing.AllocsPerRun(200, func() {
		sh.Record(&ev)
		sh.Publish()
		var ok bool
		if buf, ok = sh.AppendLogRecord(buf[:0]); !ok {
			t.Fatal("no record")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per batch", allocs)
	}
}
