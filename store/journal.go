package store

import (
	"sync"

	"github.com/onemrc/onemrc/decimal"
	"github.com/onemrc/onemrc/event"
)

// journal lists the user keys new to the process since the last drain, one list per
// global part, each guarded by its part's mutex (record runs inside globalSet.add).
type journal struct {
	lists [globalParts][]userKey
	mu    sync.Mutex // serialises drains
}

func (j *journal) record(part int, k userKey) { j.lists[part] = append(j.lists[part], k) }

// EnableJournal makes the store remember every user key new to the process until
// DrainJournal takes it: the feed of a cluster flusher. Call it before any shard records.
func (s *Store) EnableJournal() {
	if s.users.journal == nil {
		s.users.journal = &journal{}
	}
}

// DrainJournal appends the keys recorded since the last drain to dst and forgets them.
func (s *Store) DrainJournal(dst [][2]uint64) [][2]uint64 {
	j := s.users.journal
	if j == nil {
		return dst
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := range s.users.parts {
		p := &s.users.parts[i]
		p.mu.Lock()
		for _, k := range j.lists[i] {
			dst = append(dst, [2]uint64{k.a, k.b})
		}
		j.lists[i] = j.lists[i][:0]
		p.mu.Unlock()
	}
	return dst
}

// SumDecimal returns the snapshot's exact sum as a new Decimal (cold: it allocates).
func (s *Snapshot) SumDecimal() *decimal.Decimal {
	d := new(decimal.Decimal)
	d.AddScaled(s.nanos.bigInt(), -event.NanoDigits)
	if s.slow != nil {
		d.Add(&s.slow.dec)
	}
	return d
}

// SnapshotOf makes a Snapshot of given totals and exact sum (nil is 0), for figures
// that come from elsewhere (a cluster's merged totals) and are written with AppendStats.
func SnapshotOf(total, unique uint64, sum *decimal.Decimal) Snapshot {
	snap := Snapshot{TotalRequests: total, UniqueUsers: unique}
	if sum == nil || sum.IsZero() {
		return snap
	}
	if nanos, ok := toNanos(sum); ok {
		snap.nanos = nanos
		return snap
	}
	snap.slow = newSlowSum(sum, 0)
	return snap
}

// UserParts is the number of parts the user set is split into; a key's part is
// UserPart(key). A cluster shards its copy of the set the same way, so that one part can
// be resent without copying the others (AppendPartUsers).
const UserParts = globalParts

// UserPart returns the part of the user set that holds key k (State, DrainJournal and
// AppendPartUsers hand keys out as [2]uint64{lane a, lane b}).
func UserPart(k [2]uint64) int { return int(k[1] >> 56) }

// AppendPartUsers appends every key of part part (0 <= part < UserParts) to dst: a copy
// made under the part's lock, so the cost is bounded by one part (1/256 of the set), and
// every key added to the part before the call is in it.
func (s *Store) AppendPartUsers(dst [][2]uint64, part int) [][2]uint64 {
	p := &s.users.parts[part]
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.set.hasZero {
		dst = append(dst, [2]uint64{})
	}
	for _, k := range p.set.slots {
		if k != (userKey{}) {
			dst = append(dst, [2]uint64{k.a, k.b})
		}
	}
	return dst
}

// PartLen returns the number of keys in part part of the user set.
func (s *Store) PartLen(part int) int {
	p := &s.users.parts[part]
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.set.len()
}
