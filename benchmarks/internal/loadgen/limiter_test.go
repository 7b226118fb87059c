package loadgen

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLimiterSchedule(t *testing.T) {
	assert.Nil(t, newLimiter(0, 0), "rate 0 means unlimited")
	var none *limiter
	assert.Zero(t, none.take(123), "a nil limiter never waits")

	l := newLimiter(1_000, 0) // one token per ms, burst 10 ms
	granted := 0
	for l.take(0) == 0 {
		granted++
	}
	// At time 0 the burst allows the tokens due within 10 ms, plus the one due now.
	assert.Equal(t, 11, granted)
	assert.Equal(t, time.Millisecond, l.take(0), "the next token is 1 ms away")
	assert.Zero(t, l.take(int64(time.Millisecond)))

	// Over a simulated second the limiter grants rps tokens (plus the burst).
	granted = 0
	for now := int64(time.Millisecond); now <= int64(time.Second); now += int64(100 * time.Microsecond) {
		for l.take(now) == 0 {
			granted++
		}
	}
	assert.InDelta(t, 1_000, granted, 12)
}

func TestLimiterDoesNotBankIdleTime(t *testing.T) {
	l := newLimiter(1_000, 0)
	granted := 0
	for l.take(int64(time.Hour)) == 0 {
		granted++
	}
	assert.Equal(t, 11, granted, "an idle hour still grants only the burst")
}
