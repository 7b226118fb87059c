package store

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/onemrc/onemrc/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testEvent is an event whose byte slices the test owns.
type testEvent struct {
	user  string
	value event.Value
}

func smallValue(nanos int64) event.Value { return event.Value{Nanos: nanos, Small: true} }
func textValue(s string) event.Value     { return event.Value{Text: []byte(s)} }

// runEvents records events round-robin over n shards in the given order,
// publishes, and returns the snapshot.
func runEvents(t testing.TB, opts Options, log bool, events []testEvent, order []int, n int) Snapshot {
	t.Helper()
	s := New(opts)
	shards := make([]*Shard, n)
	for i := range shards {
		shards[i] = s.NewShard()
		if log {
			shards[i].EnableLog() // the path with a local set per loop
		}
	}
	for i, j := range order {
		ev := event.Event{UserID: []byte(events[j].user), Value: events[j].value}
		shards[i%n].Record(&ev)
		if i%97 == 0 {
			shards[i%n].Publish() // publish mid-stream too, as loops do
		}
	}
	for _, sh := range shards {
		sh.Publish()
	}
	return s.Snapshot()
}

// mixedEvents holds Small values, decimals that float64 cannot hold (0.1,
// 0.2), the extremes of float64 and numbers with more than nine decimals.
func mixedEvents() []testEvent {
	texts := []string{"0.1", "0.2", "1e300", "-1e300", "1e-300", "0.1234567891", "12345678901234567890",
		"1.7976931348623157e308", "-1.7976931348623157e308", "5e-324", "-2.5e-10", "3.141592653589793238"}
	var evs []testEvent
	for i := range 3000 {
		user := "user_" + strconv.Itoa(i%257)
		switch {
		case i%10 == 0:
			evs = append(evs, testEvent{user, textValue(texts[(i/10)%len(texts)])})
		case i%3 == 0:
			evs = append(evs, testEvent{user, smallValue(100_000_000)}) // 0.1 exactly
		default:
			evs = append(evs, testEvent{user, smallValue(int64(i%1000)*1_000_000_000 - 123_456_789)})
		}
	}
	// Escaped and unescaped spellings reach the store already unescaped,
	// so they are one user.
	evs = append(evs, testEvent{"user\u00e9", smallValue(1)}, testEvent{"useré", smallValue(1)})
	return evs
}

func TestSnapshotIndependentOfShardsAndOrder(t *testing.T) {
	events := mixedEvents()
	want := new(big.Rat)
	users := map[string]bool{}
	for _, ev := range events {
		users[ev.user] = true
		if ev.value.Small {
			want.Add(want, new(big.Rat).SetFrac64(ev.value.Nanos, nanosPerUnit))
		} else {
			want.Add(want, ratOf(t, string(ev.value.Text)))
		}
	}
	wantSum, _ := want.Float64()
	wantAvg, _ := new(big.Rat).Quo(want, new(big.Rat).SetInt64(int64(len(events)))).Float64()

	r := rand.New(rand.NewPCG(11, 12))
	var first []byte
	for _, n := range []int{1, 2, 7} {
		// -1: not logging, no local set; 0 and 50: logging, with the default local set
		// and one that most first sightings overflow.
		for _, localCap := range []int{-1, 0, 50} {
			for trial := range 3 {
				order := r.Perm(len(events))
				if trial == 0 {
					for i := range order {
						order[i] = i
					}
				}
				snap := runEvents(t, Options{Seed: [2]uint64{1, 2}, LocalSetCap: max(localCap, 0)}, localCap >= 0, events, order, n)
				name := "shards=" + strconv.Itoa(n) + " cap=" + strconv.Itoa(localCap)
				require.Equal(t, uint64(len(events)), snap.TotalRequests, name)
				require.Equal(t, uint64(len(users)), snap.UniqueUsers, name)
				require.Equal(t, want.RatString(), snap.SumRat().RatString(), name)
				require.Equal(t, math.Float64bits(wantSum), math.Float64bits(snap.Sum()), name)
				require.Equal(t, math.Float64bits(wantAvg), math.Float64bits(snap.Avg()), name)
				js := AppendStats(nil, &snap)
				if first == nil {
					first = js
				}
				require.Equal(t, string(first), string(js), name)
			}
		}
	}
}

// The challenge's standard runs, at full size: 1,000,000 events from 75,000
// users, value i%1000 (and i%1000+0.5), spread over loops.
func TestOneMillionRequestChallenge(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000,000 events")
	}
	tests := []struct {
		name     string
		half     bool
		shards   int
		sum, avg float64
		json     string
	}{
		{"value=i%1000", false, 2, 499_500_000, 499.5, `{"totalRequests":1000000,"uniqueUsers":75000,"sum":499500000,"avg":499.5}`},
		{"value=i%1000 one loop", false, 1, 499_500_000, 499.5, `{"totalRequests":1000000,"uniqueUsers":75000,"sum":499500000,"avg":499.5}`},
		{"value=i%1000+0.5", true, 7, 500_000_000, 500, `{"totalRequests":1000000,"uniqueUsers":75000,"sum":500000000,"avg":500}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Options{})
			shards := make([]*Shard, tc.shards)
			for i := range shards {
				shards[i] = s.NewShard()
			}
			buf := make([]byte, 0, 16)
			for i := range 1_000_000 {
				nanos := int64(i%1000) * nanosPerUnit
				if tc.half {
					nanos += nanosPerUnit / 2
				}
				buf = strconv.AppendInt(append(buf[:0], "user_"...), int64(i%75_000), 10)
				sh := shards[(i/7)%len(shards)] // runs of 7, like pipelined batches
				sh.Record(&event.Event{UserID: buf, Value: smallValue(nanos)})
				if i%7 == 6 {
					sh.Publish()
				}
			}
			for _, sh := range shards {
				sh.Publish()
			}
			snap := s.Snapshot()
			assert.Equal(t, uint64(1_000_000), snap.TotalRequests)
			assert.Equal(t, uint64(75_000), snap.UniqueUsers)
			assert.Equal(t, tc.sum, snap.Sum())
			assert.Equal(t, tc.avg, snap.Avg())
			assert.Equal(t, tc.json, string(AppendStats(nil, &snap)))

			// Both divisions take the allocation-free single-division path.
			_, sumPath := roundQuotient(snap.nanos, 0, nanosPerUnit)
			denHi, denLo := mulNanos(snap.TotalRequests)
			_, avgPath := roundQuotient(snap.nanos, denHi, denLo)
			assert.Equal(t, quotientExact, sumPath)
			assert.Equal(t, quotientExact, avgPath)
		})
	}
}

func mulNanos(n uint64) (hi, lo uint64) {
	r := new(big.Int).Mul(new(big.Int).SetUint64(n), big.NewInt(nanosPerUnit))
	return new(big.Int).Rsh(r, 64).Uint64(), r.Uint64()
}

func TestNewSeed(t *testing.T) {
	s := New(Options{Seed: [2]uint64{3, 4}})
	assert.Equal(t, [2]uint64{3, 4}, s.Seed())
	a, b := New(Options{}), New(Options{})
	assert.NotEqual(t, [2]uint64{}, a.Seed(), "zero means random")
	assert.NotEqual(t, a.Seed(), b.Seed(), "two random seeds (equal with probability 2^-128)")

	// A store restored with a kept seed maps users to the same keys.
	c := New(Options{Seed: a.Seed()})
	assert.Equal(t, a.hasher.sum([]byte("user_1")), c.hasher.sum([]byte("user_1")))
	assert.NotEqual(t, a.hasher.sum([]byte("user_1")), b.hasher.sum([]byte("user_1")))
}

func TestRecordIsInvisibleUntilPublish(t *testing.T) {
	s := New(Options{})
	sh := s.NewShard()
	other := s.NewShard()
	sh.Record(&event.Event{UserID: []byte("a"), Value: smallValue(5 * nanosPerUnit)})
	sh.Record(&event.Event{UserID: []byte("b"), Value: textValue("0.1234567891")})
	snap := s.Snapshot()
	assert.Zero(t, snap.TotalRequests)
	assert.Zero(t, snap.UniqueUsers, "users are capped by published events")
	assert.Zero(t, snap.Sum())

	sh.Publish()
	snap = s.Snapshot()
	assert.Equal(t, uint64(2), snap.TotalRequests)
	assert.Equal(t, uint64(2), snap.UniqueUsers)
	assert.Equal(t, "51234567891/10000000000", snap.SumRat().RatString())

	other.Record(&event.Event{UserID: []byte("a"), Value: smallValue(0)})
	other.Publish()
	snap = s.Snapshot()
	assert.Equal(t, uint64(3), snap.TotalRequests)
	assert.Equal(t, uint64(2), snap.UniqueUsers, "a user seen on two loops counts once")
}

// N goroutines each own a shard and Record+Publish in batches while another
// takes Snapshots. Every snapshot must include every batch published before
// it started, nothing not yet published, and each shard's count and sum from
// the same Publish (all values are 1, so sum == count exactly).
func TestConcurrentRecordPublishSnapshot(t *testing.T) {
	t.Run("global set only", func(t *testing.T) { testConcurrentRecordPublishSnapshot(t, false) })
	t.Run("logging, local sets", func(t *testing.T) { testConcurrentRecordPublishSnapshot(t, true) })
}

func testConcurrentRecordPublishSnapshot(t *testing.T, log bool) {
	const (
		loops   = 4
		batches = 2000
		batch   = 9
	)
	s := New(Options{LocalSetCap: 300})
	var started, done, doneLoops sync.WaitGroup
	// publishing grows before each Publish, published after it returns.
	var publishing, published atomic.Uint64
	stop := make(chan struct{})
	started.Add(loops)
	doneLoops.Add(loops)
	for range loops {
		go func() {
			defer doneLoops.Done()
			sh := s.NewShard()
			if log {
				sh.EnableLog()
			}
			started.Done()
			started.Wait()
			id := make([]byte, 0, 32)
			for b := range batches {
				for e := range batch {
					id = strconv.AppendInt(append(id[:0], "user_"...), int64((b*batch+e)%1000), 10)
					v := smallValue(nanosPerUnit)
					if e == 0 && b%5 == 0 {
						v = textValue("1e0") // the slow path, still exactly 1
					}
					sh.Record(&event.Event{UserID: id, Value: v})
				}
				publishing.Add(batch) // before Publish: an upper bound
				sh.Publish()
				published.Add(batch) // after Publish: a lower bound
			}
		}()
	}
	done.Add(1)
	var prev Snapshot
	var snapshots int
	go func() {
		defer done.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			lower := published.Load()
			snap := s.Snapshot()
			upper := publishing.Load()
			snapshots++
			if !assert.GreaterOrEqual(t, snap.TotalRequests, lower, "a published batch is missing") ||
				!assert.LessOrEqual(t, snap.TotalRequests, upper, "an unpublished event is visible") ||
				!assert.GreaterOrEqual(t, snap.TotalRequests, prev.TotalRequests, "requests went down") ||
				!assert.GreaterOrEqual(t, snap.UniqueUsers, prev.UniqueUsers, "users went down") ||
				!assert.LessOrEqual(t, snap.UniqueUsers, uint64(1000)) ||
				!assert.Equal(t, new(big.Rat).SetUint64(snap.TotalRequests).RatString(), snap.SumRat().RatString(), "count and sum from different publishes") {
				return
			}
			prev = snap
		}
	}()
	doneLoops.Wait()
	close(stop)
	done.Wait()
	final := s.Snapshot()
	assert.Equal(t, uint64(loops*batches*batch), final.TotalRequests)
	assert.Equal(t, uint64(1000), final.UniqueUsers)
	assert.Equal(t, float64(loops*batches*batch), final.Sum())
	assert.Equal(t, 1.0, final.Avg())
	assert.Positive(t, snapshots)
}

// Many goroutines may make shards at once (loops start in parallel).
func TestNewShardConcurrently(t *testing.T) {
	s := New(Options{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			sh := s.NewShard()
			sh.Record(&event.Event{UserID: []byte("u"), Value: smallValue(2)})
			sh.Publish()
		})
	}
	wg.Wait()
	snap := s.Snapshot()
	assert.Equal(t, uint64(16), snap.TotalRequests)
	assert.Equal(t, uint64(1), snap.UniqueUsers)
	assert.Equal(t, "1/31250000", snap.SumRat().RatString())
}

// Every number the decoder accepts, Small or not, is summed exactly: the
// contract between the two halves of the package (Value.Text is always an
// RFC 8259 number in float64 range, Nanos is exact).
func FuzzRecordDecodedValue(f *testing.F) {
	for _, num := range []string{"0", "-0", "345", "123.5", "0.1234567891", "1e300", "-1E-300", "5e-324",
		"1.7976931348623157e308", "12345678901234567890", "9223372036.854775807", "9223372036.854775808", "1.5e2"} {
		f.Add(num)
	}
	f.Fuzz(func(t *testing.T, num string) {
		if strings.Trim(num, "0123456789+-.eE") != "" {
			t.Skip("not only a number token (whitespace or more members would also be valid JSON)")
		}
		body := []byte(`{"userId":"u","value":` + num + `}`)
		var d event.Decoder
		var ev event.Event
		if d.Decode(body, &ev) != nil {
			t.Skip("rejected")
		}
		want, ok := new(big.Rat).SetString(num)
		if mant, _, _ := strings.Cut(strings.ToLower(num), "e"); !ok && strings.Trim(mant, "-0.") == "" {
			want, ok = new(big.Rat), true // 0e99999999999999999999: math/big rejects the exponent
		}
		require.True(t, ok, "the decoder accepted %q, which math/big cannot read", num)
		s := New(Options{})
		sh := s.NewShard()
		sh.Record(&ev)
		sh.Record(&ev)
		sh.Publish()
		snap := s.Snapshot()
		require.Equal(t, want.Add(want, want).RatString(), snap.SumRat().RatString(), "%q", num)
	})
}
