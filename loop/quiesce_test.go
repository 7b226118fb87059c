package loop

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/store"
)

// Quiesce closes an idle connection at once, lets a connection whose request is
// arriving finish it (answered, then closed), and turns a new connection away with 503.
func TestQuiesce(t *testing.T) {
	st := store.New(store.Options{})
	s := newFakeServer(st, Config{})
	l := &fakeLoop{deferTasks: true}
	idle, busy := newFakeConn(l), newFakeConn(l)
	require.True(t, idle.open(s))
	require.True(t, busy.open(s))
	require.True(t, idle.deliver(s, []byte(healthReq)))
	ev := post(`{"userId":"q","value":2}`)
	require.True(t, busy.deliver(s, []byte(ev[:len(ev)-4])))

	s.Quiesce()
	l.runTasks()
	assert.True(t, idle.closeQueued, "an idle connection goes at once")
	idle.finish(s)
	assert.False(t, busy.closeQueued, "a request in progress is let finish")

	assert.False(t, busy.deliver(s, []byte(ev[len(ev)-4:])), "closed after its answer")
	rs := responsesIn(t, busy.out)
	require.Len(t, rs, 1)
	assert.Equal(t, 200, rs[0].StatusCode)
	assert.Equal(t, uint64(1), st.Snapshot().TotalRequests)
	assert.Zero(t, s.OpenConnections())

	late := newFakeConn(l)
	assert.False(t, late.open(s))
	rs = responsesIn(t, late.out)
	require.Len(t, rs, 1)
	assert.Equal(t, 503, rs[0].StatusCode)
	assert.Zero(t, s.OpenConnections())
	assert.Zero(t, idle.lateCalls+busy.lateCalls+late.lateCalls)
}
