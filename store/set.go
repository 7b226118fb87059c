package store

// keySet is an open-addressing hash set of userKeys: one flat, pointer-free
// slice (the garbage collector never scans it), a power-of-two slot count,
// linear probing, and growth by doubling before the load passes 3/4.
//
// The all-zero key marks an empty slot. userHasher never produces it, but
// the set still holds it correctly through a side flag, so the set is total
// over userKey and needs no precondition from its callers.
//
// The slot index is a keyed mix of both lanes (slotOf), not the key's own
// low bits: keys made by userHasher are uniform, but a restored checkpoint
// or Redis's user set holds keys chosen by whoever wrote them, and keys that
// share their low bits would all probe from one slot (n²/2 probes: 100,000
// such keys took 6 s to restore).
//
// Memory: 16 bytes per slot at a load between 3/8 and 3/4 after growth, so
// 21 to 43 bytes per key (about 27 at 10M keys spread over 256 sets).
// The zero value is an empty set; it allocates on the first add.
//
// Not safe for concurrent use: each Shard owns one, and each globalSet part
// guards its own with a mutex.
type keySet struct {
	slots   []userKey // len is zero or a power of two
	count   int       // keys stored in slots (the zero key is not among them)
	growAt  int       // count at which the next add grows the table first
	hasZero bool      // the zero key is a member
}

// slotSecret keys slotOf for every keySet in the process. It is drawn from
// crypto/rand at start and never leaves the process: the store's seed would
// not do, because a checkpoint and Redis both hold it, and with it a writer
// could choose keys (or user ids) that collide in the table.
var slotSecret = randomSeed()

// slotOf mixes a key into a slot index (its low bits are used): one
// multiply whose operands both carry a secret, so no key can zero it, folded
// to 64 bits; then one multiply by an odd constant after a shift, because the
// fold alone keeps structure in its low bits. When one lane is constant
// (keys {42, i}), its secret-XORed operand is a constant c, and if c is even
// (2^t times odd), every lo = c*x has t zero low bits: 2^-t of the slots for
// the whole set (probe runs of 190 were seen for 100,000 such keys). The
// finalizer spreads all 64 bits of the fold into the low ones.
func slotOf(k userKey) uint64 {
	x := foldMul(k.a^slotSecret[0], k.b^slotSecret[1])
	x ^= x >> 32
	x *= 0x9e3779b97f4a7c15 // 2^64 / golden ratio, odd
	return x ^ x>>29
}

// home is k's first slot in a table of len(s.slots) slots.
func (s *keySet) home(k userKey) uint64 { return slotOf(k) & uint64(len(s.slots)-1) }

// minSetSlots is the first table size: small enough that an idle loop or a
// global part costs 16 KiB, big enough to skip the first few doublings.
const minSetSlots = 1024

// loadLimit returns how many keys a table of n slots may hold: 3/4 of it.
func loadLimit(n int) int { return n - n>>2 }

// slotsFor returns the smallest power-of-two table (at least minSetSlots)
// that holds n keys under the load limit.
func slotsFor(n int) int {
	size := minSetSlots
	for loadLimit(size) < n {
		size <<= 1
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
	mask := uint64(len(s.slots) - 1)
	for i := slotOf(k) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return true
		case userKey{}:
			return false
		}
	}
}

// add inserts k and reports whether it was new. It allocates only when the
// table doubles, so its cost per new key is amortized O(1) allocations
// below one.
func (s *keySet) add(k userKey) bool {
	if k == (userKey{}) {
		added := !s.hasZero
		s.hasZero = true
		return added
	}
	if s.count >= s.growAt {
		s.rehash(max(minSetSlots, 2*len(s.slots)))
	}
	mask := uint64(len(s.slots) - 1)
	for i := slotOf(k) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return false
		case userKey{}:
			s.slots[i] = k
			s.count++
			return true
		}
	}
}

// addBelow inserts k unless that would take the set past limit keys.
// It reports whether k was already present, and whether it was added now.
// present == false && added == false means the set is full and k is not in
// it: the caller must ask someone else.
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
		s.rehash(max(minSetSlots, 2*len(s.slots)))
	}
	if len(s.slots) == 0 {
		return false, false // limit <= 0: never stores anything
	}
	mask := uint64(len(s.slots) - 1)
	for i := slotOf(k) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return true, false
		case userKey{}:
			if s.len() >= limit || s.count >= s.growAt {
				// Full: the limit is reached, or the table may not grow
				// (the limit forbade it) and one more key would break
				// the load bound that keeps probes short and finite.
				return false, false
			}
			s.slots[i] = k
			s.count++
			return false, true
		}
	}
}

// rehash moves every key into a fresh table of size slots (a power of two
// that holds them all under the load limit).
func (s *keySet) rehash(size int) {
	if size&(size-1) != 0 || loadLimit(size) < s.count {
		panic("BUG: store: keySet.rehash to a size that cannot hold the set")
	}
	old := s.slots
	s.slots = make([]userKey, size)
	s.growAt = loadLimit(size)
	mask := uint64(size - 1)
	for _, k := range old {
		if k == (userKey{}) {
			continue
		}
		i := slotOf(k) & mask
		for s.slots[i] != (userKey{}) {
			i = (i + 1) & mask
		}
		s.slots[i] = k
	}
}
