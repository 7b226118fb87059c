package loop

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestTimeoutsCheck(t *testing.T) {
	to := Timeouts{Header: 2 * time.Second, Body: 3 * time.Second, Idle: 5 * time.Second}
	sec := int64(time.Second)
	var c conn
	c.track(10*sec, false, false, false)
	assert.Equal(t, alive, to.check(&c, 15*sec), "idle exactly at the limit")
	assert.Equal(t, expiredIdle, to.check(&c, 15*sec+1))

	c.track(20*sec, false, true, false) // a request started: the header clock runs
	c.track(21*sec, false, true, false) // more header bytes do not reset it (slowloris)
	assert.Equal(t, alive, to.check(&c, 22*sec))
	assert.Equal(t, expiredHeader, to.check(&c, 22*sec+1))

	c.track(21*sec, false, true, true) // headers complete: the body clock starts
	assert.Equal(t, alive, to.check(&c, 24*sec))
	assert.Equal(t, expiredBody, to.check(&c, 24*sec+1))

	c.track(30*sec, false, false, false) // request done: back to idle
	assert.Equal(t, alive, to.check(&c, 34*sec))

	c.lingering = true // a lingering close ends on its own clock, not as an idle close
	assert.Equal(t, alive, to.check(&c, 30*sec+int64(lingerTime)))
	assert.Equal(t, expiredLinger, to.check(&c, 30*sec+int64(lingerTime)+1))
	c.lingering = false

	c.paused = true // answers queued: only the client's reading counts
	c.track(40*sec, false, true, false)
	assert.Equal(t, alive, to.check(&c, 45*sec), "no header timeout while paused")
	assert.Equal(t, expiredSend, to.check(&c, 45*sec+1))
	c.paused = false

	disabled := Timeouts{Header: -1, Body: -1, Idle: -1}
	assert.Equal(t, alive, disabled.check(&c, 1<<62))
}

func TestTimeoutsDefaultsAndSweepInterval(t *testing.T) {
	d := Timeouts{}.withDefaults()
	assert.Equal(t, DefaultHeaderTimeout, d.Header)
	assert.Equal(t, DefaultIdleTimeout, d.Idle)
	assert.Equal(t, time.Second, d.sweepEvery())
	assert.Equal(t, 250*time.Millisecond, Timeouts{Header: time.Second, Body: -1, Idle: -1}.sweepEvery())
	assert.Equal(t, tickInterval, Timeouts{Header: 200 * time.Millisecond}.withDefaults().sweepEvery())
}
