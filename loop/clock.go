package loop

import (
	"sync/atomic"
	"time"
)

// coarseNow is a clock in nanoseconds since process start, advanced by the server's tick
// (every tickInterval). Connection timestamps read it instead of calling time.Now on every
// read: timeouts are seconds long, so a tick's resolution is plenty.
var (
	processStart = time.Now()
	coarseNow    atomic.Int64
)

const tickInterval = 100 * time.Millisecond

// The clock starts at 1, not 0: a stamp of 0 means "none" (no request in progress), and a
// request that arrives before the first tick must still be timed.
func init() { coarseNow.Store(1) }

func advanceClock(now time.Time) int64 {
	n := int64(now.Sub(processStart))
	coarseNow.Store(n)
	return n
}

// monotonic is a fine clock in nanoseconds since process start, read twice per batch for
// request durations.
func monotonic() int64 { return int64(time.Since(processStart)) }
