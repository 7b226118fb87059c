package store

import (
	"math/bits"
	"sync/atomic"
)

// keySet is an open-addressing hash set of userKeys: one flat, pointer-free
// slice (the garbage collector never scans it), linear probing, and a table
// of any size: a key's first slot is its mixed hash scaled to the table
// (home, a multiply-shift range reduction in place of a power-of-two mask), so
// the table grows by half, not by doubling.
//
// The all-zero key marks an empty slot. userHasher never produces it, but
// the set still holds it correctly through a side flag, so the set is total
// over userKey and needs no precondition from its callers.
//
// The slot index is a keyed mix of both lanes (slotOf), not the key's own
// bits: keys made by userHasher are uniform, but a restored checkpoint or
// Redis's user set holds keys chosen by whoever wrote them, and keys that
// share their low bits would all probe from one slot (n²/2 probes: 100,000
// such keys took 6 s to restore).
//
// Memory: 16 bytes per slot at a load between 8/15 (just after growing by
// half) and 4/5, so 20 to 30 bytes per key. The zero value is an empty set;
// it allocates on the first add.
//
// Not safe for concurrent use, with one exception: a key stored with
// fillShared may be looked for in a published table by any goroutine
// (globalPart.has).
type keySet struct {
	slots   []userKey // len is zero or at least minSetSlots
	count   int       // keys stored in slots (the zero key is not among them)
	growAt  int       // count at which the next add grows the table first
	hasZero bool      // the zero key is a member
}

// slotSecret keys slotOf for every keySet in the process. It is drawn from
// crypto/rand at start and never leaves the process: the store's seed would
// not do, because a checkpoint and Redis both hold it, and with it a writer
// could choose keys (or user ids) that collide in the table.
var slotSecret = randomSeed()

// slotOf mixes a key into 64 bits, which home scales to a slot (its high bits
// weigh most): one multiply whose operands both carry a secret, so no key can
// zero it, folded to 64 bits; then one multiply by an odd constant after a
// shift, because the fold alone keeps structure. When one lane is constant
// (keys {42, i}), its secret-XORed operand is a constant c, and if c is even
// (2^t times odd), every lo = c*x has t zero low bits (probe runs of 190 were
// seen for 100,000 such keys when the low bits picked the slot). The multiply
// by the odd constant carries every bit of the fold into the high bits; the
// final shift spreads them back into the low ones.
func slotOf(k userKey) uint64 {
	x := foldMul(k.a^slotSecret[0], k.b^slotSecret[1])
	x ^= x >> 32
	x *= 0x9e3779b97f4a7c15 // 2^64 / golden ratio, odd
	return x ^ x>>29
}

// homeIn is k's first slot in a table of n slots: slotOf(k) scaled from
// [0, 2^64) to [0, n) (Lemire's multiply-shift: one multiply, no division).
func homeIn(k userKey, n int) int {
	hi, _ := bits.Mul64(slotOf(k), uint64(n))
	return int(hi)
}

// home is k's first slot in s's table.
func (s *keySet) home(k userKey) int { return homeIn(k, len(s.slots)) }

// minSetSlots is the first table size: 256 bytes, so that an idle loop or an
// empty global part costs next to nothing (256 parts: 64 KiB).
const minSetSlots = 16

// loadLimit returns how many keys a table of n slots may hold: 4/5 of it.
// Linear probing then costs about 3 slots to find a key and 13 to miss one at
// the highest load, in adjacent slots (4 to a 64-byte cache line).
func loadLimit(n int) int { return n * 4 / 5 }

// grown is the next table size after n: half as big again. Growing by half
// keeps the load between 8/15 and 4/5 (doubling: between 2/5 and 4/5), and a
// key is moved twice on average over the growths (doubling: once).
func grown(n int) int { return max(minSetSlots, n+n/2) }

// slotsFor returns the smallest table (at least minSetSlots) that holds n
// keys under the load limit.
func slotsFor(n int) int {
	size := max(minSetSlots, (n*5+3)/4)
	for loadLimit(size) < n {
		size++
	}
	return size
}

// len returns the number of keys in the set.
func (s *keySet) len() int {
	if s.hasZero {
		return s.count + 1
	}
	return s.count
}

// reserve grows the table, if needed, so that n keys fit without growing.
func (s *keySet) reserve(n int) {
	if size := slotsFor(n); size > len(s.slots) {
		s.rehash(size)
	}
}

// contains reports whether k is in the set.
func (s *keySet) contains(k userKey) bool {
	if k == (userKey{}) {
		return s.hasZero
	}
	if len(s.slots) == 0 {
		return false
	}
	_, found := s.find(k)
	return found
}

// find returns k's slot and true, or the empty slot where k belongs and
// false. The table must not be empty and k not be the zero key.
func (s *keySet) find(k userKey) (int, bool) {
	n := len(s.slots)
	for i := s.home(k); ; i++ {
		if i == n {
			i = 0
		}
		switch s.slots[i] {
		case k:
			return i, true
		case userKey{}:
			return i, false
		}
	}
}

// add inserts k and reports whether it was new. It allocates only when the
// table grows, so its cost per new key is amortized O(1) allocations below
// one.
func (s *keySet) add(k userKey) bool {
	if k == (userKey{}) {
		added := !s.hasZero
		s.hasZero = true
		return added
	}
	if s.count >= s.growAt {
		s.rehash(grown(len(s.slots)))
	}
	i, found := s.find(k)
	if !found {
		s.slots[i] = k
		s.count++
	}
	return !found
}

// addBelow inserts k unless that would take the set past limit keys.
// It reports whether k was already present, and whether it was added now.
// present == false && added == false means the set is full and k is not in
// it: the caller must ask someone else. The table grows no further than
// slotsFor(limit).
//
// One probe sequence answers both questions, which is why this is not
// contains followed by add.
func (s *keySet) addBelow(k userKey, limit int) (present, added bool) {
	if k == (userKey{}) {
		if s.hasZero {
			return true, false
		}
		if s.len() >= limit {
			return false, false
		}
		s.hasZero = true
		return false, true
	}
	if s.count >= s.growAt && s.len() < limit {
		s.rehash(min(grown(len(s.slots)), slotsFor(limit)))
	}
	if len(s.slots) == 0 {
		return false, false // limit <= 0: never stores anything
	}
	i, found := s.find(k)
	if found {
		return true, false
	}
	if s.len() >= limit || s.count >= s.growAt {
		// Full: the limit is reached, or the table may not grow (the limit
		// forbade it) and one more key would break the load bound that keeps
		// probes short and finite.
		return false, false
	}
	s.slots[i] = k
	s.count++
	return false, true
}

// fillShared stores k in the empty slot i that find returned, for readers
// that look without the writer's lock (globalPart.has): lane a first, then
// lane b, each with one atomic store, so a reader that sees both lanes of k
// sees k, and one that sees a torn slot takes it for another key.
func (s *keySet) fillShared(i int, k userKey) {
	atomic.StoreUint64(&s.slots[i].a, k.a)
	atomic.StoreUint64(&s.slots[i].b, k.b)
	s.count++
}

// rehash moves every key into a fresh table of size slots (one that holds
// them all under the load limit).
func (s *keySet) rehash(size int) {
	if size < minSetSlots || loadLimit(size) < s.count {
		panic("BUG: store: keySet.rehash to a size that cannot hold the set")
	}
	old := s.slots
	s.slots = make([]userKey, size)
	s.growAt = loadLimit(size)
	for _, k := range old {
		if k == (userKey{}) {
			continue
		}
		i := s.home(k)
		for s.slots[i] != (userKey{}) {
			if i++; i == size {
				i = 0
			}
		}
		s.slots[i] = k
	}
}
