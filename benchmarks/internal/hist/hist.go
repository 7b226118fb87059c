package hist

import (
	"math"
	"math/bits"
)

const (
	// subBucketBits sets the precision: 2^7 = 128 slots per power of two.
	subBucketBits = 7
	subBuckets    = 1 << subBucketBits
	// exactLimit is the first value that is not counted in its own slot.
	exactLimit = 2 * subBuckets
)

// Histogram counts values into log-linear slots. The zero value is not
// usable; build one with New.
type Histogram struct {
	counts   []uint64
	highest  int64 // values above are counted in the last slot
	total    uint64
	min, max int64 // exact extremes of what was recorded
	sum      float64
}

// New returns a histogram that resolves values up to highest (at least 1).
// Larger values are clamped into the last slot for percentiles, but Max
// still reports them exactly.
func New(highest int64) *Histogram {
	if highest < exactLimit {
		highest = exactLimit
	}
	h := &Histogram{highest: highest}
	h.counts = make([]uint64, slotOf(highest)+1)
	h.Reset()
	return h
}

// slotOf maps a non-negative value to its slot index.
func slotOf(v int64) int {
	u := uint64(v)
	if u < exactLimit {
		return int(u)
	}
	// shift >= 1: keep the top subBucketBits+1 bits, whose leading bit is
	// always set, so the mantissa lies in [subBuckets, 2*subBuckets).
	shift := bits.Len64(u) - (subBucketBits + 1)
	mantissa := int(u >> uint(shift))
	return exactLimit + (shift-1)*subBuckets + (mantissa - subBuckets)
}

// slotRange returns the smallest value of slot i and its width.
func slotRange(i int) (low, width int64) {
	if i < exactLimit {
		return int64(i), 1
	}
	shift := (i-exactLimit)/subBuckets + 1
	mantissa := int64((i-exactLimit)%subBuckets + subBuckets)
	return mantissa << uint(shift), 1 << uint(shift)
}

// Record counts one value; negative values count as 0.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	if v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.sum += float64(v)
	h.total++
	if v > h.highest {
		v = h.highest
	}
	h.counts[slotOf(v)]++
}

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.total }

// Max is the largest value recorded exactly, 0 when empty.
func (h *Histogram) Max() int64 {
	if h.total == 0 {
		return 0
	}
	return h.max
}

// Min is the smallest value recorded exactly, 0 when empty.
func (h *Histogram) Min() int64 {
	if h.total == 0 {
		return 0
	}
	return h.min
}

// Mean is the arithmetic mean of the recorded values, 0 when empty.
func (h *Histogram) Mean() float64 {
	if h.total == 0 {
		return 0
	}
	return h.sum / float64(h.total)
}

// Percentile returns a value v such that at least p percent of the recorded
// values are <= v (within the slot precision), for 0 <= p <= 100. The answer
// is the midpoint of the slot holding that rank, clamped to the exact
// [Min, Max]; p=100 and ranks in the overflow slot report Max exactly.
// It is 0 when empty.
func (h *Histogram) Percentile(p float64) int64 {
	if h.total == 0 {
		return 0
	}
	p = math.Max(0, math.Min(100, p))
	// rank is 1-based: the smallest rank whose share reaches p.
	rank := uint64(math.Ceil(p / 100 * float64(h.total)))
	if rank == 0 {
		rank = 1
	}
	if rank >= h.total {
		return h.max
	}
	last := len(h.counts) - 1
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			if i == last && h.max > h.highest {
				return h.max // the overflow slot holds only an upper bound
			}
			low, width := slotRange(i)
			return min(max(low+(width-1)/2, h.min), h.max)
		}
	}
	return h.max // unreachable: seen reaches total
}

// Merge adds every count of o into h. Both must come from New with the same
// highest value; a mismatch is a programming error and panics.
func (h *Histogram) Merge(o *Histogram) {
	if len(o.counts) != len(h.counts) {
		panic("BUG: hist: Merge of histograms with different ranges")
	}
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
	h.total += o.total
	h.sum += o.sum
}

// Reset empties the histogram, keeping its memory.
func (h *Histogram) Reset() {
	clear(h.counts)
	h.total = 0
	h.sum = 0
	h.min = math.MaxInt64
	h.max = 0
}
