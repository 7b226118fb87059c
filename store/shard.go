package store

import (
	"runtime"
	"sync/atomic"

	"github.com/onemrc/onemrc/decimal"
	"github.com/onemrc/onemrc/event"
)

// cacheLine is the padding unit between data written by different cores.
// 128 covers the adjacent-line prefetcher of x86 as well as 128-byte lines.
const cacheLine = 128

// Shard holds the counters of one event loop. Its owner goroutine records
// into plain fields with no atomics and no locks, and makes them visible to
// Snapshot once per batch with Publish.
//
// Layout: the owner's running totals and the seqlock-published copy sit on
// separate cache lines, so a Snapshot loading the published copy never
// touches the lines the owner writes on every Record, and shards allocated
// side by side never share a line. Published non-Small values live in the
// Store (Store.slow), not here.
type Shard struct {
	// Owner-only state, written by Record and Publish; the fields Record
	// reads on every event come first.
	requests  uint64     // events recorded
	nanos     int128     // exact sum of Small values, in 1e-9 units
	hasher    userHasher // copy of the store's, one load away from Record
	local     keySet     // user keys seen on this loop, up to localCap; only while logging
	localCap  int
	store     *Store
	published uint64                // requests at the last Publish
	seq       uint64                // owner's copy of pub.seq
	hasSlow   bool                  // pending is nonzero
	pending   decimal.Decimal       // exact sum of other values since the last Publish
	log       *shardLog             // what the next write-ahead log record holds; nil: not logging
	views     [globalParts]partView // this loop's copies of the global parts' tables

	_   [cacheLine]byte
	pub publishedTotals
	_   [cacheLine]byte
}

// publishedTotals is a seqlock: the owner makes seq odd, stores the totals,
// makes seq even; a reader that sees the same even seq before and after
// loading the totals has a copy of one Publish. Every access is atomic, so
// readers never race with the writer, and Go's atomics are sequentially
// consistent, so the totals cannot be observed out of order with seq.
type publishedTotals struct {
	seq      atomic.Uint64
	requests atomic.Uint64
	nanosHi  atomic.Uint64
	nanosLo  atomic.Uint64
	_        [cacheLine - 4*8]byte
}

// Record counts one accepted event. Only the shard's owner may call it.
// ev.UserID is hashed and never kept. It does not allocate when
// ev.Value.Small (amortized over set growth); a non-Small value takes the
// exact big-number path, which does.
func (sh *Shard) Record(ev *event.Event) {
	sh.requests++
	if ev.Value.Small {
		sh.nanos.addInt64(ev.Value.Nanos)
	} else {
		sh.recordSlow(ev.Value.Text)
	}
	k := sh.hasher.sum(ev.UserID)
	if sh.log == nil {
		// Only whether any loop met the user counts: the global set answers that
		// without a lock for a user met before, so the loop keeps no set of its own.
		// (globalSet.see, written out: one call on the path of a known user.)
		i := k.b >> 56
		if !sh.store.users.parts[i].has(k, &sh.views[i]) {
			sh.store.users.add(k)
		}
		return
	}
	// Logging: the loop's record must name every user it answers for, so it keeps
	// the users it met (up to localCap) and logs each first sighting.
	if present, _ := sh.local.addBelow(k, sh.localCap); !present {
		// First sighting on this loop (or the local set is full): the
		// global set decides whether the process has seen the user.
		sh.store.users.add(k)
		sh.log.keys = append(sh.log.keys, k)
	}
}

// recordSlow adds a non-Small value to the loop-local exact sum. Kept out of
// Record so the hot path stays small.
//
//go:noinline
func (sh *Shard) recordSlow(text []byte) {
	addText(&sh.pending, text)
	sh.hasSlow = !sh.pending.IsZero()
}

// Publish makes every event recorded so far visible to Snapshot. The owner
// calls it once per batch, before writing the batch's responses: a Snapshot
// that starts after Publish returns includes every event recorded before it.
// With no new events it does nothing; otherwise it costs a seqlock write of
// four words (plus the store's slow-sum mutex when the batch had non-Small
// values).
func (sh *Shard) Publish() {
	if sh.hasSlow {
		sh.publishSlow()
		return
	}
	if sh.requests == sh.published {
		return
	}
	sh.storeTotals()
}

// publishSlow moves the batch's exact slow sum into the store's and
// publishes the totals, both inside one write of the store's slow seqlock
// (under Store.slowMu, so slow publishes of different loops take turns): a
// Snapshot sees both or neither.
func (sh *Shard) publishSlow() {
	st := sh.store
	st.slowMu.Lock()
	st.slowSeq.Add(1) // odd: the slow sum and these totals are changing
	st.slow.Add(&sh.pending)
	sh.storeTotals()
	st.slowSeq.Add(1) // even
	st.slowMu.Unlock()
	if sh.log != nil {
		sh.log.slow.Add(&sh.pending)
	}
	sh.pending = decimal.Decimal{}
	sh.hasSlow = false
}

// storeTotals is the seqlock write.
func (sh *Shard) storeTotals() {
	sh.seq++
	sh.pub.seq.Store(sh.seq) // odd: a write is in progress
	sh.pub.requests.Store(sh.requests)
	sh.pub.nanosHi.Store(sh.nanos.hi)
	sh.pub.nanosLo.Store(sh.nanos.lo)
	sh.seq++
	sh.pub.seq.Store(sh.seq) // even: the copy is whole
	sh.published = sh.requests
}

// loadTotals is the seqlock read: a consistent copy of one Publish.
func (sh *Shard) loadTotals() (requests uint64, nanos int128) {
	for spins := 0; ; spins++ {
		s := sh.pub.seq.Load()
		if s&1 == 0 {
			requests = sh.pub.requests.Load()
			nanos = int128{hi: sh.pub.nanosHi.Load(), lo: sh.pub.nanosLo.Load()}
			if sh.pub.seq.Load() == s {
				return requests, nanos
			}
		}
		backoff(spins)
	}
}

// backoff yields to other goroutines while a seqlock reader waits for a
// writer in the middle of a Publish (a few stores long, unless the writer
// was descheduled).
func backoff(spins int) {
	if spins > 16 {
		runtime.Gosched()
	}
}

// addTo adds the shard's last published totals into snap.
func (sh *Shard) addTo(snap *Snapshot) {
	requests, nanos := sh.loadTotals()
	snap.TotalRequests += requests
	snap.nanos.add(nanos)
}
