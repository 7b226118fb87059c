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

func advanceClock(now time.Time) int64 {
	n := int64(now.Sub(processStart))
	coarseNow.Store(n)
	return n
}
