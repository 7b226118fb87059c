package stages

import (
	"testing"

	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/store"
)

// standardUsers is the 1MRC run's number of distinct users; newUserPool is
// how many never-seen users BenchmarkRecord/new walks through before it
// starts over with an empty store (so set growth is amortized over a range
// above the standard run's 75,000).
const (
	standardUsers = 75_000
	newUserPool   = 1 << 18
)

// Record returns nothing to check per call, so the record benchmarks check
// the counters once after the loop (a Snapshot inside the loop would cost
// more than the Record it checks). The loop index is kept in a package-level
// sink so the work cannot be dropped.
var recordSink int

// smallEvent is the event the decoder produces for {"userId":id,"value":v}
// with a whole v (TestDecodersAgree checks that form).
func smallEvent(id []byte, v int) event.Event {
	return event.Event{UserID: id, Value: event.Value{Nanos: int64(v) * 1e9, Small: true}}
}

// BenchmarkRecord is store.Shard.Record into a warm shard.
//   - known: the steady state of the standard run: the shard has seen all
//     75,000 users and the events cycle through them (value i%1000).
//   - new: every event is a user no loop has seen (local miss, insert into
//     the global set under its part's mutex, amortized table growth).
func BenchmarkRecord(b *testing.B) {
	b.Run("known", func(b *testing.B) {
		ids := userIDs(standardUsers)
		events := make([]event.Event, len(ids))
		for i := range events {
			events[i] = smallEvent(ids[i], i%1000)
		}
		s := store.New(store.Options{})
		sh := s.NewShard()
		for i := range events {
			sh.Record(&events[i])
		}
		b.SetBytes(int64(len(typicalUserID)))
		b.ReportAllocs()
		i, n := 0, 0
		cpu := startCPU()
		for b.Loop() {
			sh.Record(&events[i])
			if i++; i == len(events) {
				i = 0
			}
			n++
		}
		cpu.report(b, 0)
		recordSink = i
		sh.Publish()
		if snap := s.Snapshot(); snap.TotalRequests != uint64(standardUsers+n) || snap.UniqueUsers != standardUsers {
			b.Fatalf("after %d known events: %d requests, %d users", n, snap.TotalRequests, snap.UniqueUsers)
		}
	})

	b.Run("new", func(b *testing.B) {
		ids := userIDs(newUserPool)
		events := make([]event.Event, len(ids))
		for i := range events {
			events[i] = smallEvent(ids[i], i%1000)
		}
		s := store.New(store.Options{})
		sh := s.NewShard()
		b.SetBytes(int64(len(typicalUserID)))
		b.ReportAllocs()
		i := 0
		cpu := startCPU()
		for b.Loop() {
			if i == len(events) {
				b.StopTimer()
				s = store.New(store.Options{})
				sh = s.NewShard()
				i = 0
				b.StartTimer()
			}
			sh.Record(&events[i])
			i++
		}
		cpu.report(b, 0)
		recordSink = i
		sh.Publish()
		if snap := s.Snapshot(); snap.TotalRequests != uint64(i) || snap.UniqueUsers != uint64(i) {
			b.Fatalf("%d new users: %d requests, %d users", i, snap.TotalRequests, snap.UniqueUsers)
		}
	})
}

// BenchmarkRecordSyncMap is the baseline, the challenge reference style
// (refStore): sync.Map.LoadOrStore of the string userId, an atomic add of
// the count and a CAS loop for the float64 sum. The user ids are strings
// made before the loop: the string a JSON decoder returns is charged to
// decoding. LoadOrStore still boxes the key into an interface per call.
func BenchmarkRecordSyncMap(b *testing.B) {
	b.Run("known", func(b *testing.B) {
		ids := userStrings(standardUsers)
		ref := new(refStore)
		for i, id := range ids {
			ref.record(id, float64(i%1000))
		}
		b.SetBytes(int64(len(typicalUserID)))
		b.ReportAllocs()
		i, n := 0, 0
		cpu := startCPU()
		for b.Loop() {
			ref.record(ids[i], float64(i%1000))
			if i++; i == len(ids) {
				i = 0
			}
			n++
		}
		cpu.report(b, 0)
		recordSink = i
		if ref.count.Load() != int64(standardUsers+n) || ref.unique.Load() != standardUsers {
			b.Fatalf("after %d known events: %d requests, %d users", n, ref.count.Load(), ref.unique.Load())
		}
	})

	b.Run("new", func(b *testing.B) {
		ids := userStrings(newUserPool)
		ref := new(refStore)
		b.SetBytes(int64(len(typicalUserID)))
		b.ReportAllocs()
		i := 0
		cpu := startCPU()
		for b.Loop() {
			if i == len(ids) {
				b.StopTimer()
				ref = new(refStore)
				i = 0
				b.StartTimer()
			}
			ref.record(ids[i], float64(i%1000))
			i++
		}
		cpu.report(b, 0)
		recordSink = i
		if ref.count.Load() != int64(i) || ref.unique.Load() != int64(i) {
			b.Fatalf("%d new users: %d requests, %d users", i, ref.count.Load(), ref.unique.Load())
		}
	})
}

// userStrings returns "user_0" .. "user_(n-1)" as strings.
func userStrings(n int) []string {
	ids := make([]string, n)
	for i, id := range userIDs(n) {
		ids[i] = string(id)
	}
	return ids
}
