package loop

import (
	"testing"

	"github.com/panjf2000/gnet/v2"
	"github.com/stretchr/testify/assert"
)

// queueConn models gnet's outbound queue: Write appends to the stream, the socket takes
// `take` bytes of each write, and flush(n) sends n queued bytes from the front.
type queueConn struct {
	gnet.Conn
	stream []byte // every byte written
	sent   int    // bytes the socket took
	take   int
}

func (q *queueConn) Write(b []byte) (int, error) {
	q.stream = append(q.stream, b...)
	if q.sent == len(q.stream)-len(b) { // nothing queued: the socket takes what it can
		q.sent += min(q.take, len(b))
	}
	return len(b), nil
}
func (q *queueConn) OutboundBuffered() int { return len(q.stream) - q.sent }
func (q *queueConn) flush(n int)           { q.sent = min(q.sent+n, len(q.stream)) }

// The mirror always holds exactly the bytes gnet still queues, so a half-closed client
// can be sent the rest (handOff).
func TestWriteMirrorsTheQueue(t *testing.T) {
	q := &queueConn{take: 3}
	var c Conn
	check := func() {
		t.Helper()
		assert.Equal(t, string(q.stream[q.sent:]), string(c.mirror))
		assert.Equal(t, uint64(len(q.stream)), c.written)
	}
	c.write(q, []byte("abcdef")) // the socket takes "abc"
	check()
	c.write(q, []byte("ghi")) // queued behind "def"
	check()
	q.flush(4) // "defg" leave
	c.write(q, []byte("jk"))
	check()
	q.flush(100)
	q.take = 100
	c.write(q, []byte("lmn")) // nothing queued any more
	check()
	assert.Empty(t, c.mirror)
}
