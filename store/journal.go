package store

import (
	"math/big"
	"sync"
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

// SumDecimal returns the snapshot's exact sum as mant * 10^scale (cold: it allocates).
func (s *Snapshot) SumDecimal() (mant *big.Int, scale int) {
	var d decimalSum
	d.addScaled(s.nanos.bigInt(), -9)
	if s.slow != nil {
		d.add(&s.slow.dec)
	}
	return new(big.Int).Set(&d.mant), d.scale
}

// SnapshotOf makes a Snapshot of given totals and exact sum mant * 10^scale, for figures
// that come from elsewhere (a cluster's merged totals) and are written with AppendStats.
func SnapshotOf(total, unique uint64, mant *big.Int, scale int) Snapshot {
	snap := Snapshot{TotalRequests: total, UniqueUsers: unique}
	if mant == nil || mant.Sign() == 0 {
		return snap
	}
	if nanos, ok := toNanos(mant, scale); ok {
		snap.nanos = nanos
		return snap
	}
	var d decimalSum
	d.addScaled(mant, scale)
	snap.slow = newSlowSum(&d, 0)
	return snap
}
