package clock

import (
	"sync/atomic"
	"time"
)

var processStart = time.Now()

// Coarse is advanced by the server's tick (Advance, every tick): connection timestamps
// read it instead of calling time.Now on every read; timeouts are seconds long, so a
// tick's resolution is plenty. Only the ticker (and tests) store it.
//
// It starts at 1, not 0: a stamp of 0 means "none" (no request in progress), and a request
// that arrives before the first tick must still be timed.
var Coarse atomic.Int64

func init() { Coarse.Store(1) }

// Advance sets Coarse to now and returns it.
func Advance(now time.Time) int64 {
	n := int64(now.Sub(processStart))
	Coarse.Store(n)
	return n
}

// Fine reads the monotonic clock.
func Fine() int64 { return int64(time.Since(processStart)) }
