package store

import (
	"errors"
	"fmt"
	"math/big"
	"math/bits"

	"github.com/onemrc/onemrc/decimal"
	"github.com/onemrc/onemrc/event"
)

// State is everything a Store has counted, in a form that can be written down and read
// back: a checkpoint keeps one. Sum is exact (nil only when TotalRequests is 0).
type State struct {
	Seed          [2]uint64
	TotalRequests uint64
	Sum           *decimal.Decimal
	// Users are the keyed hashes of every distinct user id, two lanes each. They mean
	// something only under Seed.
	Users [][2]uint64
}

// State copies out the store's published totals and its whole user set (cold: it
// allocates 16 bytes per user). It is a consistent cut only while no shard records or
// publishes: the caller pauses every loop around it, or calls it
// after the loops have stopped.
func (s *Store) State() State {
	snap := s.Snapshot()
	st := State{Seed: s.seed, TotalRequests: snap.TotalRequests, Sum: snap.SumDecimal()}
	st.Users = make([][2]uint64, 0, s.users.count.Load())
	for i := range s.users.parts {
		p := &s.users.parts[i]
		p.mu.Lock()
		if p.set.hasZero {
			st.Users = append(st.Users, [2]uint64{})
		}
		for _, k := range p.set.slots {
			if k != (userKey{}) {
				st.Users = append(st.Users, [2]uint64{k.a, k.b})
			}
		}
		p.mu.Unlock()
	}
	return st
}

// ErrBadState means a State cannot be restored: it is not one that State produced.
var ErrBadState = errors.New("store: inconsistent state")

// Restore makes a store that continues from st: the same seed, totals, exact sum and
// users. opts.Seed is ignored (the users' keys only mean something under st.Seed).
func Restore(st State, opts Options) (*Store, error) {
	if st.Seed == ([2]uint64{}) || uint64(len(st.Users)) > st.TotalRequests || (st.Sum == nil && st.TotalRequests > 0) {
		return nil, ErrBadState
	}
	// Bounded before any arithmetic: toNanos costs 10^|scale|.
	if err := st.Sum.Check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadState, err)
	}
	opts.Seed = st.Seed
	s := New(opts)
	// Size every part for exactly its keys, so restoring never grows a table.
	var perPart [globalParts]int
	for _, k := range st.Users {
		perPart[k[1]>>56]++ // the part globalSet.add picks
	}
	for i := range s.users.parts {
		s.users.parts[i].reserve(perPart[i])
	}
	for _, k := range st.Users {
		if !s.users.add(userKey{a: k[0], b: k[1]}) {
			return nil, ErrBadState // a duplicate key
		}
	}

	// The restored totals live in a shard of their own that no loop records into.
	base := s.baseShard()
	base.requests = st.TotalRequests
	if st.Sum != nil && !st.Sum.IsZero() {
		if nanos, ok := toNanos(st.Sum); ok {
			base.nanos = nanos
		} else {
			// No loop runs yet: nothing reads the seqlock concurrently, but
			// it still moves, so no Snapshot can pair these totals with an
			// older view.
			s.slowSeq.Add(1)
			s.slow.Add(st.Sum)
			s.slowSeq.Add(1)
		}
	}
	base.storeTotals()
	return s, nil
}

// toNanos returns d in 1e-9 units when that is an integer within int128.
func toNanos(d *decimal.Decimal) (int128, bool) {
	n, ok := d.Int(-event.NanoDigits)
	if !ok || n.BitLen() > 126 {
		return int128{}, false
	}
	abs := new(big.Int).Abs(n)
	lo := abs.Uint64()
	hi := new(big.Int).Rsh(abs, 64).Uint64()
	x := int128{hi: hi, lo: lo}
	if n.Sign() < 0 {
		lo, carry := bits.Add64(^x.lo, 1, 0)
		x = int128{hi: ^x.hi + carry, lo: lo}
	}
	return x, true
}
