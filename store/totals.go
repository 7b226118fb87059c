package store

import (
	"sync/atomic"

	"github.com/onemrc/onemrc/decimal"
	"github.com/onemrc/onemrc/event"
)

// Totals is a count and an exact sum counted elsewhere (the other nodes of a cluster),
// made once and then added to many Snapshots (one per cluster /stats). The big
// arithmetic happens when it is made; a combined slow sum is converted to binary once
// per change of either side, as for the store's own /stats (see slowSum).
type Totals struct {
	count uint64
	nanos int128   // the part in whole nanounits (all of it, when it fits; see SnapshotOf)
	slow  *slowSum // the rest; nil or zero when none
	// last is the slow sum of the last Snapshot added to, combined with slow.
	last atomic.Pointer[combinedSlow]
}

// combinedSlow is a Snapshot's slow sum plus a Totals' one (immutable once stored).
type combinedSlow struct {
	local, sum *slowSum
}

// NewTotals returns count events with the exact sum (nil means 0).
func NewTotals(count uint64, sum *decimal.Decimal) *Totals {
	snap := SnapshotOf(count, 0, sum)
	return &Totals{count: count, nanos: snap.nanos, slow: snap.slow}
}

// AddTo returns local plus t. UniqueUsers stays local's: how users combine is the
// caller's to say. It allocates nothing when neither side has slow values (or when
// local's slow sum is the one it last saw).
func (t *Totals) AddTo(local *Snapshot) Snapshot {
	out := *local
	out.TotalRequests += t.count
	sum := local.nanos
	sum.add(t.nanos)
	if sum.isNeg() != local.nanos.isNeg() && local.nanos.isNeg() == t.nanos.isNeg() {
		// The Small sums overflow int128 (beyond 1.7e20 units, which takes some 2^64
		// events): carry t's whole sum in the slow part, uncached.
		out.slow = &slowSum{}
		out.slow.dec.AddScaled(t.nanos.bigInt(), -event.NanoDigits)
		if !t.slow.isZero() {
			out.slow.dec.Add(&t.slow.dec)
		}
		if !local.slow.isZero() {
			out.slow.dec.Add(&local.slow.dec)
		}
		return out
	}
	out.nanos = sum
	switch {
	case t.slow.isZero():
	case local.slow.isZero():
		out.slow = t.slow
	default:
		out.slow = t.combine(local.slow)
	}
	return out
}

// combine returns local + t.slow, reusing the last result while local is the same
// (Snapshots share their store's slow sum until it changes).
func (t *Totals) combine(local *slowSum) *slowSum {
	if c := t.last.Load(); c != nil && c.local == local {
		return c.sum
	}
	c := &combinedSlow{local: local, sum: &slowSum{}}
	c.sum.dec.Add(&local.dec)
	c.sum.dec.Add(&t.slow.dec)
	t.last.Store(c)
	return c.sum
}
