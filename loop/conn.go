package loop

import (
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"github.com/onemrc/onemrc/pipeline"
)

// conn is one connection: the pipeline's request in progress and what the adapter
// keeps for timeouts, lingering, backpressure and the log. The zero value is a fresh
// connection.
type conn struct {
	pipeline.Conn

	// closing is set once the server decided to close the connection.
	closing bool
	// lingering is set once the server answered its last response and shut down its
	// sending side; what the client still sends is read and dropped (linger.go).
	lingering bool
	lingered  int // bytes dropped while lingering

	// Coarse-clock stamps (package clock) for the timeouts: the last read, the first
	// byte of the request in progress (0: none in progress) and the end of its header
	// section (0: not reached).
	lastActive, requestSince, bodySince int64

	// gone is set by OnClose: gnet has closed the connection (possibly inside a Write) and
	// its descriptor number may already serve another client. Nothing touches gc after.
	gone bool
	// paused is set while reading stops because answers are queued (output.go), since
	// pausedAt; queuedAtSweep is the queue the last sweep saw, to tell a client that reads
	// slowly from one that does not read at all.
	paused        bool
	listed        bool // in loop.paused
	pausedAt      int64
	queuedAtSweep int
	// closeWhenDrained asks for the lingering close once the queued answers are written.
	closeWhenDrained bool
	// held are answers waiting for the log (durable.go), the last of them from heldTurn;
	// closeAfterHeld asks for the close once they leave.
	held           []byte
	heldTurn       uint64
	closeAfterHeld bool

	loop *eventLoop
	gc   gnet.Conn
	idx  int // position in loop.conns
}

// eventLoop is what the adapter keeps for one gnet event loop: its pipeline, its
// connections and the state of its sweep. Loop goroutine only, but for the atomics.
type eventLoop struct {
	pipe *pipeline.Pipeline
	el   gnet.EventLoop
	dur  *durability // nil without a log

	// The loop's connections, for the timeout sweep.
	timeouts Timeouts
	conns    []*conn
	sweepOut []byte

	// Connections paused because answers are queued for them; nPaused is its length for
	// the ticker goroutine, which queues checkPaused while it is not zero.
	reads   readPauser
	paused  []*conn
	nPaused atomic.Int32

	sweepQueued   atomic.Bool // a sweep is queued on el and has not run yet
	quiesceQueued atomic.Bool // a quiescer is queued on el and has not run yet
	sweepFull     atomic.Bool // the queued sweep checks every connection's timeouts
	lastSweep     int64       // coarse time of the last full sweep; ticker goroutine only
}

// readPauser stops gnet reading a connection until its output queue drains (output.go).
type readPauser interface {
	pause(c gnet.Conn) error
}

// attach adds c to the connections the loop sweeps.
func (l *eventLoop) attach(c *conn) {
	c.loop = l
	c.idx = len(l.conns)
	l.conns = append(l.conns, c)
}

// detach removes c; the last connection takes its place.
func (l *eventLoop) detach(c *conn) {
	last := l.conns[len(l.conns)-1]
	l.conns[c.idx] = last
	last.idx = c.idx
	l.conns[len(l.conns)-1] = nil
	l.conns = l.conns[:len(l.conns)-1]
	if c.requestSince != 0 {
		c.setInFlight(-1)
		c.requestSince = 0
	}
	c.loop = nil
}
