package loadgen

import (
	"sync/atomic"
	"time"
)

// limiter is a token bucket shared by every connection, written as the
// equivalent virtual-scheduling rule (GCRA): each request is due one
// interval after the previous one, and a request may go early by at most
// burst intervals. One atomic word holds the due time, so connections on
// any goroutine take tokens without a lock. A nil *limiter never limits.
type limiter struct {
	interval int64        // nanoseconds between tokens
	burst    int64        // how far ahead of schedule a request may run
	due      atomic.Int64 // clock time the next token becomes free
}

// newLimiter returns a limiter for rps requests per second in total, or nil
// when rps <= 0 (unlimited).
func newLimiter(rps int, now int64) *limiter {
	if rps <= 0 {
		return nil
	}
	interval := max(int64(time.Second)/int64(rps), 1)
	// Allow ~10 ms of tokens ahead of schedule: enough to absorb timer and
	// scheduling jitter without letting the rate drift from rps.
	l := &limiter{interval: interval, burst: max(int64(10*time.Millisecond), interval)}
	l.due.Store(now)
	return l
}

// take claims one token at clock time now. It returns 0 when the request may
// go, or how long to wait before asking again.
func (l *limiter) take(now int64) time.Duration {
	if l == nil {
		return 0
	}
	for {
		due := l.due.Load()
		if due-now > l.burst {
			return time.Duration(due - now - l.burst)
		}
		// An idle bucket does not bank tokens beyond the burst.
		next := max(due, now) + l.interval
		if l.due.CompareAndSwap(due, next) {
			return 0
		}
	}
}
