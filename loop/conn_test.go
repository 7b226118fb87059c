package loop

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/internal/clock"
	"github.com/onemrc/onemrc/pipeline"
	"github.com/onemrc/onemrc/store"
)

// These tests drive Server's callbacks over fakeConn (fakeconn_test.go), one connection
// event at a time, where the real engine's timing would make a defect hard to catch.

const (
	healthReq = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
	getStats  = "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n"
)

// responsesIn parses the responses in out, HEAD never used.
func responsesIn(t *testing.T, out []byte) []*http.Response {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(out))
	var rs []*http.Response
	for br.Buffered() > 0 || len(rs) == 0 {
		if _, err := br.Peek(1); err != nil {
			break
		}
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		var b bytes.Buffer
		_, err = b.ReadFrom(resp.Body)
		require.NoError(t, err)
		rs = append(rs, resp)
	}
	return rs
}

// When gnet's write fails (EPIPE, ECONNRESET) it closes the connection and its descriptor
// inside Write; the acceptor may hand the number to the next client at once. After such a
// Write nothing may touch the connection: no shutdown(2) for a lingering close, no
// Discard, no buffer sizes, no pause.
func TestNothingTouchesAConnectionClosedInsideWrite(t *testing.T) {
	for name, req := range map[string]string{
		"keep-alive":        healthReq,
		"Connection: close": "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"HTTP/1.0":          "GET /health HTTP/1.0\r\n\r\n",
		"framing error":     "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
		"event and more":    post(`{"userId":"u","value":1}`) + "GET /sta",
	} {
		t.Run(name, func(t *testing.T) {
			s := newFakeServer(store.New(store.Options{}), Config{})
			c := newFakeConn(&fakeLoop{})
			require.True(t, c.open(s))
			c.breakOnWrite = true
			c.deliver(s, []byte(req))
			assert.True(t, c.closed)
			assert.Zero(t, c.lateCalls, "calls on the connection after gnet closed it")
			assert.Zero(t, s.OpenConnections())
		})
	}
}

// A sweep whose 408 write makes gnet close that connection must still visit every other
// expired connection (OnClose moves the last connection into the closed one's slot).
func TestSweepVisitsEveryConnectionWhenAWriteCloses(t *testing.T) {
	s := newFakeServer(store.New(store.Options{}), Config{Timeouts: Timeouts{Header: time.Second, Idle: -1}})
	l := &fakeLoop{}
	clock.Coarse.Store(int64(time.Hour))
	conns := make([]*fakeConn, 3)
	for i := range conns {
		conns[i] = newFakeConn(l)
		require.True(t, conns[i].open(s))
		require.True(t, conns[i].deliver(s, []byte("GET /health HT")))
	}
	conns[0].breakOnWrite = true
	clock.Coarse.Add(int64(2 * time.Second))
	p := conns[0].Context().(*conn).loop
	p.sweepFull.Store(true)
	require.NoError(t, sweeper{p}.Run(nil))
	for i, c := range conns {
		assert.Zero(t, c.lateCalls, "connection %d", i)
		if i == 0 {
			assert.True(t, c.closed)
			continue
		}
		assert.True(t, c.closeQueued, "connection %d was not closed", i)
		rs := responsesIn(t, c.out)
		if assert.Len(t, rs, 1, "connection %d", i) {
			assert.Equal(t, http.StatusRequestTimeout, rs[0].StatusCode)
		}
	}
}

// A client that pipelines without pause, each read ending inside the next request, is
// never timed out: a timer runs from a request's first byte to its completion.
func TestPipelinerWhoseReadsEndMidRequestNeverTimesOut(t *testing.T) {
	const timeout = 2 * time.Second
	s := newFakeServer(store.New(store.Options{}), Config{Timeouts: Timeouts{Header: timeout, Body: timeout, Idle: timeout}})
	c := newFakeConn(&fakeLoop{})
	clock.Coarse.Store(int64(time.Hour))
	require.True(t, c.open(s))
	one := post(`{"userId":"pipeliner","value":1}`)
	stream := strings.Repeat(one, 100)
	p := c.Context().(*conn).loop
	complete := 0
	for off, k := 0, 0; off < len(stream); k++ {
		// Reads of about one request, ending at every offset inside one in turn.
		n := min(len(one)+k%7-3, len(stream)-off)
		require.True(t, c.deliver(s, []byte(stream[off:off+n])), "closed after %d bytes", off)
		off += n
		complete = off / len(one)
		clock.Coarse.Add(int64(timeout / 3)) // each request completes well within its timeout
		p.sweepFull.Store(true)
		require.NoError(t, sweeper{p}.Run(nil))
		require.False(t, c.closeQueued, "swept after %d bytes (%s of pipelining)", off, time.Duration(k)*timeout/3)
	}
	rs := responsesIn(t, c.out)
	assert.Len(t, rs, complete)
	for _, r := range rs {
		assert.Equal(t, http.StatusOK, r.StatusCode)
	}
}

// Backpressure: once answers are queued for a client, the connection is not read (nor
// its buffered requests parsed) until gnet has written them; then it is served again.
func TestReadsPauseWhileAnswersAreQueued(t *testing.T) {
	st := store.New(store.Options{})
	s := newFakeServer(st, Config{})
	c := newFakeConn(&fakeLoop{})
	require.True(t, c.open(s))
	c.unread = true // the socket takes nothing
	batch := strings.Repeat(post(`{"userId":"slow","value":2}`), 16)
	require.True(t, c.deliver(s, []byte(batch)))
	assert.True(t, c.readsPaused, "reads go on with answers queued")
	assert.Equal(t, 1, c.pauses)
	assert.Len(t, responsesIn(t, c.out), 16, "the batch is answered before the pause")
	assert.Equal(t, uint64(16), st.Snapshot().TotalRequests)

	// gnet drains the queue and reads again by itself; the next read resumes service.
	c.unread, c.readsPaused = false, false
	require.True(t, c.deliver(s, []byte(batch)))
	assert.Len(t, responsesIn(t, c.out), 32)
	assert.False(t, c.Context().(*conn).paused)

	// A sweep that finds the queue drained and nothing more sent also resumes it.
	c.unread = true
	require.True(t, c.deliver(s, []byte(healthReq)))
	require.True(t, c.readsPaused)
	cs := c.Context().(*conn)
	c.unread, c.readsPaused = false, false
	require.NoError(t, sweeper{cs.loop}.Run(nil))
	assert.False(t, cs.paused)
	assert.Empty(t, cs.loop.paused)
}

// One read's requests cannot make the daemon queue more than MaxPendingOutput (and one
// answer): past it the client gets the answers that fit and the connection closes.
func TestOneBatchQueuesAtMostMaxPendingOutput(t *testing.T) {
	const maxOut = 2000
	s := newFakeServer(store.New(store.Options{}), Config{Pipeline: pipeline.Config{MaxPendingOutput: maxOut}})
	c := newFakeConn(&fakeLoop{})
	require.True(t, c.open(s))
	c.unread = true
	require.True(t, c.deliver(s, []byte(strings.Repeat(getStats, 200))))
	assert.LessOrEqual(t, len(c.out), maxOut+maxAnswer)
	rs := responsesIn(t, c.out)
	assert.Greater(t, len(rs), 1)
	assert.Less(t, len(rs), 200)
	// The answers are queued: the close waits until gnet has written them.
	cs := c.Context().(*conn)
	assert.True(t, c.readsPaused)
	assert.True(t, cs.closeWhenDrained)
	assert.False(t, c.closeQueued)
	c.unread, c.readsPaused = false, false
	require.NoError(t, sweeper{cs.loop}.Run(nil))
	assert.True(t, c.closeQueued, "closed once drained (the fake has no socket to linger on)")
	assert.Len(t, responsesIn(t, c.out), len(rs), "nothing more was answered")
}

// A paused connection is looked at every tick; that must not starve the full sweep that
// times out the loop's other connections.
func TestPausedConnectionDoesNotStarveTheSweep(t *testing.T) {
	s := newFakeServer(store.New(store.Options{}), Config{Timeouts: Timeouts{Header: 300 * time.Millisecond, Idle: time.Hour}})
	l := &fakeLoop{}
	s.OnTick() // the coarse clock runs on real time from here (other tests set it by hand)
	paused, slow := newFakeConn(l), newFakeConn(l)
	require.True(t, paused.open(s))
	require.True(t, slow.open(s))
	paused.unread = true
	require.True(t, paused.deliver(s, []byte(healthReq)))
	require.True(t, paused.readsPaused)
	require.True(t, slow.deliver(s, []byte("GET /health HT")))
	deadline := time.Now().Add(3 * time.Second)
	for !slow.closeQueued && time.Now().Before(deadline) {
		s.OnTick()
		time.Sleep(tickInterval / 4)
	}
	assert.True(t, slow.closeQueued, "the slow client was never timed out")
	assert.Len(t, responsesIn(t, slow.out), 1)
}
