package store

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/onemrc/onemrc/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Padding keeps what different cores write on different cache lines; these
// sizes break silently if a field is added without adjusting the padding.
func TestCacheLinePadding(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[publishedTotals](),
		reflect.TypeFor[globalPart](),
	} {
		assert.Zero(t, typ.Size()%cacheLine, "%v is %d bytes, not whole cache lines", typ, typ.Size())
	}
	// In Shard, each cache-line pad must be whole and must separate the
	// owner's fields from the published copy, and the published copy from
	// whatever is allocated next.
	shard := reflect.TypeFor[Shard]()
	var pads []reflect.StructField
	for i := range shard.NumField() {
		if f := shard.Field(i); f.Name == "_" {
			pads = append(pads, f)
		}
	}
	require.Len(t, pads, 2)
	pub, _ := shard.FieldByName("pub")
	assert.Equal(t, uintptr(cacheLine), pads[0].Type.Size())
	assert.Equal(t, pub.Offset, pads[0].Offset+cacheLine, "owner fields too close to the published copy")
	assert.Equal(t, pads[1].Offset, pub.Offset+pub.Type.Size())
	assert.Equal(t, uintptr(cacheLine), pads[1].Type.Size(), "the next allocation too close to the published copy")
}

func TestPublishWithoutNewEventsChangesNothing(t *testing.T) {
	s := New(Options{})
	sh := s.NewShard()
	sh.Publish()
	assert.Zero(t, sh.pub.seq.Load(), "nothing recorded, nothing written")
	sh.Record(&event.Event{UserID: []byte("u"), Value: smallValue(7)})
	sh.Publish()
	seq := sh.pub.seq.Load()
	assert.Equal(t, uint64(2), seq)
	sh.Publish()
	assert.Equal(t, seq, sh.pub.seq.Load(), "a second Publish with no new events skips the seqlock write")
	snap := s.Snapshot()
	assert.Equal(t, uint64(1), snap.TotalRequests)
	assert.Equal(t, "7/1000000000", snap.SumRat().RatString())
}

func TestPublishMovesSlowSumOnce(t *testing.T) {
	s := New(Options{})
	sh := s.NewShard()
	sh.Record(&event.Event{UserID: []byte("u"), Value: textValue("1e-300")})
	assert.True(t, sh.hasSlow)
	sh.Publish()
	assert.False(t, sh.hasSlow)
	assert.True(t, sh.pending.IsZero(), "published slow values leave the loop-local sum")
	sh.Publish()
	sh.Record(&event.Event{UserID: []byte("u"), Value: smallValue(1)})
	sh.Publish()
	snap := s.Snapshot()
	assert.Equal(t, uint64(2), snap.TotalRequests)
	want := ratOf(t, "1e-300")
	want.Add(want, ratOf(t, "1e-9"))
	assert.Equal(t, want.RatString(), snap.SumRat().RatString(), "1e-300 counted exactly once")
}

func TestSlowValuesCancellingInABatch(t *testing.T) {
	s := New(Options{})
	sh := s.NewShard()
	sh.Record(&event.Event{UserID: []byte("u"), Value: textValue("1e300")})
	sh.Record(&event.Event{UserID: []byte("u"), Value: textValue("-1e300")})
	assert.False(t, sh.hasSlow, "a slow sum back at zero needs no mutex")
	sh.Publish()
	snap := s.Snapshot()
	assert.Equal(t, uint64(2), snap.TotalRequests)
	assert.False(t, snap.hasSlow())
	assert.Equal(t, 0.0, snap.Sum())
	assert.Equal(t, 0.0, snap.Avg())
}

// Past LocalSetCap a logging loop stops remembering users but every count
// stays exact: the global set answers instead.
func TestLocalSetCapBoundsMemoryNotAccuracy(t *testing.T) {
	tests := []struct {
		cap, users int
	}{
		{1, 5000},
		{100, 5000},
		{4000, 5000},
		{0, 5000}, // the default cap, never reached
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.cap), func(t *testing.T) {
			s := New(Options{LocalSetCap: tc.cap})
			a, b := s.NewShard(), s.NewShard()
			a.EnableLog() // only a logging loop keeps a local set
			b.EnableLog()
			for round := range 3 {
				for u := range tc.users {
					ev := event.Event{UserID: []byte("user_" + strconv.Itoa(u)), Value: smallValue(1)}
					if (u+round)%2 == 0 {
						a.Record(&ev)
					} else {
						b.Record(&ev)
					}
				}
			}
			a.Publish()
			b.Publish()
			snap := s.Snapshot()
			require.Equal(t, uint64(3*tc.users), snap.TotalRequests)
			require.Equal(t, uint64(tc.users), snap.UniqueUsers)
			wantCap := tc.cap
			if wantCap == 0 {
				wantCap = defaultLocalSetCap
			}
			for _, sh := range []*Shard{a, b} {
				assert.Equal(t, min(wantCap, tc.users), sh.local.len())
				assert.LessOrEqual(t, len(sh.local.slots), slotsFor(wantCap))
			}
		})
	}
}
