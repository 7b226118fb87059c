package loop

import (
	"encoding/binary"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/internal/clock"
	"github.com/onemrc/onemrc/store"
)

// memLog is a Log in memory: records are kept, syncs happen when the test says.
type memLog struct {
	mu      sync.Mutex
	records [][]byte
	pos     uint64
	waiting []func(uint64)
	fail    error
	writes  int
}

func (l *memLog) BeginRecord(dst []byte) ([]byte, int) { return append(dst, 0, 0, 0, 0), len(dst) }
func (l *memLog) EndRecord(dst []byte, start int) []byte {
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

func (l *memLog) Write(frames []byte) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return 0, l.fail
	}
	l.writes++
	for len(frames) > 0 {
		n := binary.LittleEndian.Uint32(frames)
		l.records = append(l.records, append([]byte(nil), frames[4:4+n]...))
		frames = frames[4+n:]
	}
	l.pos += uint64(len(frames)) + 1
	return l.pos, nil
}

func (l *memLog) Commit(end uint64, wake func(uint64)) error {
	l.mu.Lock()
	l.waiting = append(l.waiting, wake)
	l.mu.Unlock()
	return nil
}

// sync makes everything written durable and wakes the waiters.
func (l *memLog) sync() {
	l.mu.Lock()
	w := l.waiting
	l.waiting = nil
	pos := l.pos
	l.mu.Unlock()
	for _, f := range w {
		f(pos)
	}
}

// replay rebuilds the totals from the records.
func (l *memLog) replay(t *testing.T, seed [2]uint64) store.Snapshot {
	s := store.New(store.Options{Seed: seed})
	var rec store.LogRecord
	for _, p := range l.records {
		require.NoError(t, store.DecodeLogRecord(p, &rec))
		require.NoError(t, s.Apply(&rec))
	}
	return s.Snapshot()
}

func newDurableServer(log *memLog, mode FsyncMode) (*Server, *store.Store, *fakeLoop) {
	st := store.New(store.Options{})
	s := newFakeServer(st, Config{Log: log, Fsync: mode})
	return s, st, &fakeLoop{deferTasks: true}
}

// An event is answered only once its record is written (FsyncOff, FsyncInterval), and
// every batch of a turn of the loop shares one record and one write.
func TestEventAnswersWaitForTheLogWrite(t *testing.T) {
	for _, mode := range []FsyncMode{FsyncOff, FsyncInterval} {
		log := &memLog{}
		s, st, l := newDurableServer(log, mode)
		a, b := newFakeConn(l), newFakeConn(l)
		require.True(t, a.open(s))
		require.True(t, b.open(s))
		require.True(t, a.deliver(s, []byte(post(`{"userId":"a","value":1}`))))
		require.True(t, b.deliver(s, []byte(post(`{"userId":"b","value":2}`)+healthReq)))
		assert.Empty(t, a.out, "answered before the log write")
		assert.Empty(t, b.out)
		l.runTasks() // the turn ends: one flush
		assert.Equal(t, 1, log.writes)
		assert.Len(t, responsesIn(t, a.out), 1)
		assert.Len(t, responsesIn(t, b.out), 2)
		assert.Equal(t, st.Snapshot().TotalRequests, log.replay(t, st.Seed()).TotalRequests)
	}
}

// With FsyncAlways an event's answer waits for the fdatasync; meanwhile the loop serves
// other connections, and answers that acknowledge nothing do not wait.
func TestFsyncAlwaysAnswersAfterTheSync(t *testing.T) {
	log := &memLog{}
	s, st, l := newDurableServer(log, FsyncAlways)
	a, b := newFakeConn(l), newFakeConn(l)
	require.True(t, a.open(s))
	require.True(t, b.open(s))
	require.True(t, a.deliver(s, []byte(post(`{"userId":"a","value":1.5}`))))
	l.runTasks()
	assert.Equal(t, 1, log.writes, "the record is written")
	assert.Empty(t, a.out, "answered before the sync")

	require.True(t, b.deliver(s, []byte(healthReq)))
	assert.Len(t, responsesIn(t, b.out), 1, "a health check does not wait for the disk")

	log.sync()
	l.runTasks()
	rs := responsesIn(t, a.out)
	require.Len(t, rs, 1)
	assert.Equal(t, http.StatusOK, rs[0].StatusCode)
	got := log.replay(t, st.Seed())
	assert.Equal(t, uint64(1), got.TotalRequests)
	assert.Equal(t, 1.5, got.Sum())
}

// Answers on one connection keep their order: a /health after a held event waits for it.
func TestHeldAnswersKeepTheirOrder(t *testing.T) {
	log := &memLog{}
	s, _, l := newDurableServer(log, FsyncAlways)
	c := newFakeConn(l)
	require.True(t, c.open(s))
	require.True(t, c.deliver(s, []byte(post(`{"userId":"a","value":1}`))))
	require.True(t, c.deliver(s, []byte(getStats)))
	l.runTasks()
	assert.Empty(t, c.out, "the /stats answer overtook the held event answer")
	log.sync()
	l.runTasks()
	rs := responsesIn(t, c.out)
	require.Len(t, rs, 2)
	assert.Equal(t, "", rs[0].Header.Get("Content-Type"), "the event's answer comes first")
	assert.Equal(t, "application/json", rs[1].Header.Get("Content-Type"))
}

// A request that closes the connection after an event: the close waits for the answer.
func TestCloseWaitsForHeldAnswers(t *testing.T) {
	log := &memLog{}
	s, _, l := newDurableServer(log, FsyncAlways)
	c := newFakeConn(l)
	require.True(t, c.open(s))
	req := strings.Replace(post(`{"userId":"a","value":1}`), "Host: x\r\n", "Host: x\r\nConnection: close\r\n", 1)
	require.True(t, c.deliver(s, []byte(req+healthReq)))
	l.runTasks()
	log.sync()
	l.runTasks()
	rs := responsesIn(t, c.out)
	require.Len(t, rs, 1, "nothing after Connection: close is served")
	assert.True(t, rs[0].Close)
	assert.True(t, c.closeQueued || c.closed, "closed after the answer (the fake cannot linger)")
}

// When the log fails no event is acknowledged: held answers are dropped with their
// connections and the daemon is told once.
func TestLogFailureAcknowledgesNothing(t *testing.T) {
	log := &memLog{fail: errors.New("disk gone")}
	st := store.New(store.Options{})
	var failures []error
	s := newFakeServer(st, Config{Log: log, Fsync: FsyncOff, LogFailed: func(err error) { failures = append(failures, err) }})
	l := &fakeLoop{deferTasks: true}
	a, b := newFakeConn(l), newFakeConn(l)
	require.True(t, a.open(s))
	require.True(t, b.open(s))
	require.True(t, a.deliver(s, []byte(post(`{"userId":"a","value":1}`))))
	require.True(t, b.deliver(s, []byte(post(`{"userId":"b","value":1}`))))
	l.runTasks()
	assert.Empty(t, a.out)
	assert.Empty(t, b.out)
	assert.True(t, a.closeQueued)
	assert.True(t, b.closeQueued)
	assert.Len(t, failures, 1)
}

// A connection whose answers wait for the log is not timed out meanwhile: the wait is the
// daemon's, and a 408 must not overtake the answers.
func TestHeldAnswersAreNotTimedOut(t *testing.T) {
	log := &memLog{}
	st := store.New(store.Options{})
	s := newFakeServer(st, Config{Log: log, Fsync: FsyncAlways, Timeouts: Timeouts{Header: time.Second, Body: time.Second, Idle: time.Second}})
	l := &fakeLoop{deferTasks: true}
	c := newFakeConn(l)
	clock.Coarse.Store(int64(time.Hour))
	require.True(t, c.open(s))
	require.True(t, c.deliver(s, []byte(post(`{"userId":"a","value":1}`)+"GET /hea")))
	l.runTasks() // written, waiting for the sync
	clock.Coarse.Add(int64(5 * time.Second))
	p := c.Context().(*conn).loop
	p.sweepFull.Store(true)
	require.NoError(t, sweeper{p}.Run(nil))
	assert.False(t, c.closeQueued)
	assert.Empty(t, c.out)
	log.sync()
	l.runTasks()
	rs := responsesIn(t, c.out)
	require.Len(t, rs, 1)
	assert.Equal(t, http.StatusOK, rs[0].StatusCode)
}

// A batch (POST /events) ends its loop's record: batches that arrive on several
// connections in one turn get a record each, so no record outgrows what one batch can
// hold, and replay restores each batch whole.
func TestEachBatchEndsItsRecord(t *testing.T) {
	batch := func(user string) []byte {
		body := `{"userId":"` + user + `1","value":1}` + "\n" + `{"userId":"` + user + `2","value":2}` + "\n"
		return []byte("POST /events HTTP/1.1\r\nHost: t\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	}
	log := &memLog{}
	s, st, l := newDurableServer(log, FsyncOff)
	a, b, c := newFakeConn(l), newFakeConn(l), newFakeConn(l)
	require.True(t, a.open(s))
	require.True(t, b.open(s))
	require.True(t, c.open(s))
	require.True(t, c.deliver(s, []byte(post(`{"userId":"single","value":5}`))))
	require.True(t, a.deliver(s, batch("a")))
	require.True(t, b.deliver(s, batch("b")))
	assert.Len(t, log.records, 2, "each batch ended a record within the turn")
	assert.Empty(t, a.out, "answers still wait for the turn's flush")
	l.runTasks()
	assert.Len(t, log.records, 2, "nothing was left for the flush to write")
	for _, conn := range []*fakeConn{a, b, c} {
		rs := responsesIn(t, conn.out)
		require.Len(t, rs, 1)
		assert.Equal(t, http.StatusOK, rs[0].StatusCode)
	}
	var first store.LogRecord
	require.NoError(t, store.DecodeLogRecord(log.records[0], &first))
	assert.Equal(t, uint64(3), first.Count, "the turn's single event rides with the first batch")
	assert.Equal(t, st.Snapshot(), log.replay(t, st.Seed()))
}
