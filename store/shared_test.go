package store

import (
	"strconv"
	"sync"
	"testing"

	"github.com/onemrc/onemrc/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Loops add overlapping keys to the global set while others search it without a
// lock (see, has) through every growth of every part: each key is counted once, and
// once added is found by every reader. Run with -race: the lock-free searches read
// slots that writers fill.
func TestGlobalSetSeeConcurrently(t *testing.T) {
	const (
		workers = 4
		n       = 60_000 // about 234 keys per part: several growths each
	)
	keys := randomKeys(n, 21)
	keys[n/2] = userKey{} // the zero key lives in a flag, not a slot
	var g globalSet
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			// Each worker walks the keys from its own start, so that keys are first
			// added by different workers and searched for while others add.
			var views [globalParts]partView
			for i := range n {
				k := keys[(i+w*n/workers)%n]
				g.see(k, &views)
				if k != (userKey{}) && !g.parts[k.b>>56].has(k, &views[k.b>>56]) {
					t.Errorf("key %d added but not found without the lock", i)
					return
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, uint64(n), g.count.Load(), "every key counted exactly once")
	total := 0
	for p := range g.parts {
		part := &g.parts[p]
		total += part.set.len()
		assert.Same(t, &part.set.slots[0], &(*part.view.Load())[0], "part %d: the published table is the current one", p)
	}
	assert.Equal(t, n, total)
	var views [globalParts]partView
	for _, k := range randomKeys(1000, 22) {
		assert.False(t, g.parts[k.b>>56].has(k, &views[k.b>>56]), "a key never added is not found")
	}
	assert.False(t, g.parts[0].has(userKey{}, &views[0]), "has never claims the zero key (empty slots look like it)")
}

// The memory a user costs, counted deterministically (table slots, not RSS): without a
// log, loops keep no set of their own, and the global tables, grown by half at a load of
// 4/5, hold 16-byte keys at 20 to 30 bytes a key whatever the number of users.
func TestUserSetBytesPerUser(t *testing.T) {
	s := New(Options{})
	a, b := s.NewShard(), s.NewShard()
	const n = 400_000 // about 1,560 keys per part
	id := make([]byte, 0, 16)
	for i := range n {
		id = strconv.AppendInt(append(id[:0], "user_"...), int64(i), 10)
		sh := a
		if i%2 == 1 {
			sh = b
		}
		sh.Record(&event.Event{UserID: id, Value: smallValue(1)})
		if i%50_000 == 49_999 || i == n-1 {
			slots := 0
			for p := range s.users.parts {
				slots += len(s.users.parts[p].set.slots)
			}
			perUser := float64(16*slots) / float64(i+1)
			assert.LessOrEqual(t, perUser, 30.5, "after %d users", i+1)
			assert.GreaterOrEqual(t, perUser, 20.0, "after %d users", i+1)
		}
	}
	assert.Nil(t, a.local.slots, "a loop that does not log keeps no set")
	assert.Nil(t, b.local.slots, "a loop that does not log keeps no set")
	assert.Equal(t, uint64(n), s.users.count.Load())
}
