package store

import (
	"sync"
	"sync/atomic"
)

// globalPart is one part of the global user set: a keySet behind a mutex for
// writers, whose current table is also published (view) for readers that take
// no lock. Keys are only ever added, and a key stays in every table it was
// stored in (growth copies into a new table, never empties the old one), so a
// lock-free reader that finds a key is right, whichever table it read; one that
// does not find it (the key is new, or was being stored, or went into a newer
// table) asks again under the mutex (globalSet.add).
//
// This is what lets a loop skip a set of its own when it does not log (see
// Shard.Record): the steady state, users seen before, costs one search of a
// table that no one writes, with no lock and no copy of the set per loop.
//
// Layout: view, read on every event, sits on its own 64-byte line, apart from
// the mutex and the set header that writers change (a test checks the size).
type globalPart struct {
	view atomic.Pointer[[]userKey] // the table has searches; nil until the first add
	_    [cacheLine/2 - 8]byte
	mu   sync.Mutex
	set  keySet // guarded by mu
	_    [cacheLine/2 - 56]byte
}

// partView is one loop's copy of a part's published table: the slice header,
// kept beside the view it came from, so that a search loads the part's view
// and the copy side by side instead of following the view to the header.
type partView struct {
	table *[]userKey // the view the copy was made from; nil: none yet
	slots []userKey
}

// has reports whether k is in the part's published table, without locking.
// False may be wrong (k is being added, or is in a table not yet published,
// or is the zero key, which lives in a flag): ask add, under the mutex.
// v is the calling loop's copy of the part's view, refreshed when stale.
//
// Each lane is read with one atomic load (a plain load on amd64 and arm64):
// fillShared stores lane a, then lane b, so seeing k.b after k.a in a slot
// means the slot holds k. The search ends: a table is published with at most
// loadLimit keys and never gets more (add grows into a new one first).
func (p *globalPart) has(k userKey, v *partView) bool {
	t := p.view.Load()
	if t == nil {
		return false // no table yet
	}
	if t != v.table {
		v.table, v.slots = t, *t
	}
	slots := v.slots
	n := len(slots)
	for i := homeIn(k, n); ; i++ {
		if i == n {
			i = 0
		}
		a := atomic.LoadUint64(&slots[i].a)
		b := atomic.LoadUint64(&slots[i].b)
		if a == k.a && b == k.b {
			return k != (userKey{})
		}
		if a == 0 && b == 0 {
			return false
		}
	}
}

// find is keySet.find for a writer holding p.mu, growing the table first
// when one more key would pass the load limit (and publishing the new one).
// k must not be the zero key.
func (p *globalPart) find(k userKey) (int, bool) {
	if p.set.count >= p.set.growAt {
		p.rehash(grown(len(p.set.slots)))
	}
	return p.set.find(k)
}

// reserve is keySet.reserve for a writer holding p.mu (or the only goroutine).
func (p *globalPart) reserve(n int) {
	if size := slotsFor(n); size > len(p.set.slots) {
		p.rehash(size)
	}
}

// rehash moves the part into a table of size slots and publishes it. The keys
// are copied with plain stores before the atomic pointer store that publishes
// them, so a reader that loads the new view sees every one.
func (p *globalPart) rehash(size int) {
	p.set.rehash(size)
	view := p.set.slots
	p.view.Store(&view)
}
