package loop

import (
	"context"
	"io"
	"strconv"
	"syscall"

	"github.com/panjf2000/gnet/v2"

	"github.com/onemrc/onemrc/store"
)

// fakeLoop is a gnet.EventLoop whose goroutine is the test's: Execute runs the runnable at
// once, as the loop would on its next turn. The embedded interface is nil, so any other
// method panics and the test learns that the server started to depend on it.
type fakeLoop struct {
	gnet.EventLoop
	executed int
	// deferTasks queues what Execute gets until runTasks, as gnet runs tasks after the
	// connections of the current turn.
	deferTasks bool
	tasks      []gnet.Runnable
}

func (l *fakeLoop) Execute(ctx context.Context, r gnet.Runnable) error {
	l.executed++
	if l.deferTasks {
		l.tasks = append(l.tasks, r)
		return nil
	}
	return r.Run(ctx)
}

// runTasks runs the queued tasks, and those they queue, as the loop's next turns do.
func (l *fakeLoop) runTasks() {
	for len(l.tasks) > 0 {
		r := l.tasks[0]
		l.tasks = l.tasks[1:]
		_ = r.Run(context.Background())
	}
}

// fakeConn models the parts of a gnet v2.9.7 TCP conn (connection_unix.go) that Server
// uses, on one goroutine:
//
//   - bytes a read delivers stay buffered until Discard drops them; Peek(n) returns the
//     first n buffered bytes, all of them for n <= 0, and io.ErrShortBuffer when fewer
//     than n are buffered;
//   - Discard(n) drops n bytes, and everything when n <= 0 or n >= InboundBuffered;
//   - a Peek view lives only until the callback returns (gnet's loop buffer is reused by
//     the next read of any connection): the fake hands out a copy and poisons it after
//     every callback, so a view kept too long reads garbage;
//   - Close only queues the close: OnClose runs after the current callback (deliver and
//     sweep do that);
//   - with unread set the peer reads nothing, so every written byte stays pending in
//     OutboundBuffered;
//   - with breakOnWrite set the socket refuses the next write (EPIPE) and, as gnet does,
//     Write closes the connection on the spot: OnClose runs inside it;
//   - fakePauser stops reads; deliver then refuses to run, as gnet would not read.
//
// Every call after OnClose is counted in lateCalls: gnet may have handed the descriptor
// to another client. The embedded gnet.Conn is nil: an unmodelled method panics.
type fakeConn struct {
	gnet.Conn

	loop    *fakeLoop
	ctx     any
	inbound []byte // delivered and not discarded
	view    []byte // backing array of the last Peek, poisoned after each callback
	out     []byte // every byte written, in order
	unread  bool
	srv     *Server

	breakOnWrite bool
	readsPaused  bool // fakePauser stopped reads
	pauses       int  // times reads were paused
	lateCalls    int  // calls of Fd, buffers, Peek, Discard or Write after OnClose

	closeQueued bool // Close was called
	closed      bool // OnClose ran; nothing may be written afterwards
	lateWrites  int  // Write calls after OnClose
	traffic     int  // OnTraffic calls
}

func newFakeConn(l *fakeLoop) *fakeConn { return &fakeConn{loop: l} }

func (c *fakeConn) Context() any              { return c.ctx }
func (c *fakeConn) SetContext(ctx any)        { c.ctx = ctx }
func (c *fakeConn) EventLoop() gnet.EventLoop { return c.loop }

func (c *fakeConn) late() {
	if c.closed {
		c.lateCalls++
	}
}

func (c *fakeConn) InboundBuffered() int {
	c.late()
	return len(c.inbound)
}

// Fd has no socket behind it: the server's lingering close (shutdown(2) on it) fails and
// it falls back to a plain close.
func (c *fakeConn) Fd() int {
	c.late()
	return -1
}

func (c *fakeConn) OutboundBuffered() int {
	c.late()
	if c.unread {
		return len(c.out)
	}
	return 0
}

func (c *fakeConn) Peek(n int) ([]byte, error) {
	c.late()
	if n > len(c.inbound) {
		return nil, io.ErrShortBuffer
	}
	if n <= 0 {
		n = len(c.inbound)
	}
	c.view = append(c.view[:0], c.inbound[:n]...)
	return c.view, nil
}

func (c *fakeConn) Discard(n int) (int, error) {
	c.late()
	total := len(c.inbound)
	if n <= 0 || n >= total {
		c.inbound = c.inbound[:0]
		return total, nil
	}
	c.inbound = append(c.inbound[:0], c.inbound[n:]...)
	return n, nil
}

func (c *fakeConn) Write(p []byte) (int, error) {
	c.late()
	if c.closed {
		c.lateWrites++
	}
	if c.breakOnWrite {
		c.finish(c.srv) // gnet's el.close, OnClose included, inside Write
		return 0, syscall.EPIPE
	}
	c.out = append(c.out, p...)
	return len(p), nil
}

// fakePauser stops reads of a fakeConn.
type fakePauser struct{}

func (fakePauser) pause(gc gnet.Conn) error {
	c := gc.(*fakeConn)
	c.late()
	c.readsPaused = true
	c.pauses++
	return nil
}

// newFakeServer is a server whose loops pause reads of fake connections.
func newFakeServer(st *store.Store, cfg Config) *Server {
	s := NewServer(st, cfg)
	s.newReadPauser = func(gnet.Conn) (readPauser, error) { return fakePauser{}, nil }
	return s
}

func (c *fakeConn) Close() error {
	c.closeQueued = true
	return nil
}

// poison overwrites the last Peek view, as gnet's next read into the loop buffer would.
func (c *fakeConn) poison() {
	for i := range c.view {
		c.view[i] = 0xEE
	}
}

// open runs OnOpen as gnet does on accept and reports whether the connection stays open.
func (c *fakeConn) open(s *Server) bool {
	c.srv = s
	out, action := s.OnOpen(c)
	if len(out) > 0 {
		_, _ = c.Write(out)
	}
	if action == gnet.Close || c.closeQueued {
		c.finish(s)
		return false
	}
	return true
}

// deliver is one read of b (non-empty, as gnet never reports an empty read) and reports
// whether the connection stays open.
func (c *fakeConn) deliver(s *Server, b []byte) bool {
	if c.closed {
		panic("BUG: fakeConn: read delivered after close")
	}
	if c.readsPaused {
		panic("BUG: fakeConn: read delivered while reads are paused")
	}
	c.inbound = append(c.inbound, b...)
	c.traffic++
	action := s.OnTraffic(c)
	c.poison()
	if action == gnet.Close || c.closeQueued {
		c.finish(s)
		return false
	}
	return true
}

// finish runs OnClose once, as gnet's loop does after a Close action or a queued Close.
func (c *fakeConn) finish(s *Server) {
	if c.closed {
		return
	}
	c.closed = true
	s.OnClose(c, nil)
}

// post is a POST /event request carrying body.
func post(body string) string {
	return "POST /event HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body
}
