package store

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/onemrc/onemrc/decimal"
)

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// Seed keys the user-id hash; zero means a random seed (crypto/rand).
	// Keep it (Store.Seed) with anything persisted: user keys made under
	// another seed do not match.
	Seed [2]uint64
	// LocalSetCap is the most user keys a logging shard (EnableLog)
	// remembers as "seen on this loop"; 0 means defaultLocalSetCap. Past it
	// the shard stops adding locally and asks the global set, which stays
	// exact. It bounds the per-loop memory to about 20 bytes per entry of the
	// cap (16-byte keys in a table sized for the cap at a load of 4/5): 20 MiB
	// per loop at the default. A shard that does not log keeps no local set.
	LocalSetCap int
}

// defaultLocalSetCap is the LocalSetCap used when Options leaves it zero.
const defaultLocalSetCap = 1 << 20

// Store counts events across event loops: one Shard per loop records
// without sharing anything on the hot path, and Snapshot merges them.
type Store struct {
	hasher   userHasher
	seed     [2]uint64
	localCap int
	users    globalSet

	mu     sync.Mutex // guards shards
	shards []*Shard
	base   *Shard // restored and replayed totals (baseShard); no loop records into it

	// The exact sum of every published non-Small value, for all shards: rare,
	// so one sum behind one mutex. slowSeq is a seqlock over it and the totals
	// published with it (Shard.publishSlow), which lets Snapshot read the
	// shards without the mutex while nothing slow is being published.
	slowMu  sync.Mutex
	slow    decimal.Decimal // guarded by slowMu
	slowSeq atomic.Uint64
	// slowView is an immutable copy of slow at slowView.seq, shared by every
	// Snapshot until slow changes, with its binary form converted at most
	// once (see slowSum): /stats costs one conversion per change, not one per
	// answer.
	slowView atomic.Pointer[slowSum]
}

// New returns an empty Store.
func New(opts Options) *Store {
	seed := opts.Seed
	if seed == ([2]uint64{}) {
		seed = randomSeed()
	}
	localCap := opts.LocalSetCap
	if localCap <= 0 {
		localCap = defaultLocalSetCap
	}
	return &Store{hasher: newUserHasher(seed), seed: seed, localCap: localCap}
}

// randomSeed draws a nonzero seed from crypto/rand.
func randomSeed() [2]uint64 {
	var b [16]byte
	for {
		// crypto/rand.Read never fails on supported platforms (it
		// crashes the program instead), so there is no error to handle.
		_, _ = rand.Read(b[:])
		s := [2]uint64{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}
		if s != ([2]uint64{}) {
			return s
		}
	}
}

// Seed returns the key of the user-id hash (the one given in Options, or the
// random one New drew).
func (s *Store) Seed() [2]uint64 { return s.seed }

// NewShard makes the counters for one event loop. Safe from any goroutine.
func (s *Store) NewShard() *Shard {
	sh := &Shard{store: s, hasher: s.hasher, localCap: s.localCap}
	s.mu.Lock()
	s.shards = append(s.shards, sh)
	s.mu.Unlock()
	return sh
}

// Snapshot merges the published state of every shard (the cold path, any
// goroutine). Each shard contributes one whole Publish; shards are read one
// after another, so the result is a sum of per-shard states, each at least
// as new as the last Publish that returned before Snapshot started.
//
// UniqueUsers counts users first seen anywhere (it moves when a loop first
// meets a user, before that loop publishes the event); it is capped at
// TotalRequests so a snapshot never shows more users than events. Both are
// exact once every loop has published.
func (s *Store) Snapshot() Snapshot {
	s.mu.Lock()
	shards := s.shards
	s.mu.Unlock()
	// Optimistic read: no slow publish started or ended while the shards were
	// read (the seqlock stayed at one even value), so their totals go with
	// the slow sum at that value, which the current view holds.
	if seq := s.slowSeq.Load(); seq&1 == 0 {
		view := s.slowView.Load()
		if seq == 0 || (view != nil && view.seq == seq) {
			snap := sumShards(shards)
			if s.slowSeq.Load() == seq {
				if seq != 0 {
					snap.slow = view
				}
				snap.UniqueUsers = min(s.users.count.Load(), snap.TotalRequests)
				return snap
			}
		}
	}
	// A slow publish is under way, or the view is stale: read under the
	// mutex, which holds slow publishes off, and refresh the view.
	s.slowMu.Lock()
	snap := sumShards(shards)
	seq := s.slowSeq.Load()
	view := s.slowView.Load()
	if view == nil || view.seq != seq {
		view = newSlowSum(&s.slow, seq)
		s.slowView.Store(view)
	}
	s.slowMu.Unlock()
	snap.slow = view
	snap.UniqueUsers = min(s.users.count.Load(), snap.TotalRequests)
	return snap
}

// sumShards adds up the shards' published totals.
func sumShards(shards []*Shard) Snapshot {
	var snap Snapshot
	for _, sh := range shards {
		sh.addTo(&snap)
	}
	return snap
}

// globalParts is the number of independently locked parts of globalSet: a
// power of two, chosen so that loops meeting new users at the same time
// rarely wait on the same mutex.
const globalParts = 256

// globalSet is the process-wide set of user keys, answering "has any loop
// seen this user?". Each part is one keySet behind its own mutex, on its own
// cache lines, which any loop may also search without the mutex (see
// globalPart); a key's part comes from the top byte of lane b.
type globalSet struct {
	parts [globalParts]globalPart
	_     [cacheLine]byte
	count atomic.Uint64 // keys in all parts
	_     [cacheLine - 8]byte
	// journal, when set (cluster mode), collects every key new to the process until
	// someone drains it; nil costs one predictable branch per first sighting.
	journal *journal
}

// see makes sure k is in the set: a search without a lock when some loop has
// already added k (the steady state), else add. views is the calling loop's.
func (g *globalSet) see(k userKey, views *[globalParts]partView) {
	i := k.b >> 56
	if !g.parts[i].has(k, &views[i]) {
		g.add(k)
	}
}

// add inserts k and reports whether it was new to the process, counting it.
func (g *globalSet) add(k userKey) bool {
	p := &g.parts[k.b>>56]
	p.mu.Lock()
	if k == (userKey{}) {
		added := p.set.add(k) // the flag: never seen by has, which sends the zero key here
		if added {
			g.added(k)
		}
		p.mu.Unlock()
		return added
	}
	i, found := p.find(k)
	if !found {
		// Counted before k becomes visible to has: whoever finds k present
		// (and then publishes and answers its client) happens after this count.
		g.added(k)
		p.set.fillShared(i, k)
	}
	p.mu.Unlock()
	return !found
}

// added counts k, new to the process, and journals it. Called with k's part locked.
func (g *globalSet) added(k userKey) {
	g.count.Add(1)
	if g.journal != nil {
		g.journal.record(int(k.b>>56), k)
	}
}
