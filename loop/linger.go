package loop

import (
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// When the server closes a connection right after its last answer while the client is
// still sending (a body it refused with 413, headers it refused with 431, requests
// pipelined after Connection: close), the kernel answers the unread bytes with a reset,
// and a reset can destroy the answer before the client reads it. RFC 9112 §9.6 asks for a
// lingering close instead: shut down the sending side (the client sees the answer, then
// EOF), keep reading and dropping what arrives for a while, then close.

const (
	// lingerTime bounds how long a lingering connection keeps its slot.
	lingerTime = 2 * time.Second
	// lingerBytes bounds what the server reads and drops for one connection.
	lingerBytes = 1 << 20
)

// closeAfterAnswer ends a connection whose last answer was just written (and which is
// still open). With the answer wholly in the kernel, a shutdown(SHUT_WR) sends it and then
// FIN; with part of it still queued in gnet, reading stops and the shutdown waits until
// gnet has written the rest (checkPaused). Where neither is possible it closes as gnet
// does, which writes what the socket takes at once and drops the rest.
func (l *eventLoop) closeAfterAnswer(c gnet.Conn, cs *conn, now int64) gnet.Action {
	if c.OutboundBuffered() > 0 {
		l.pauseIfQueued(cs, now)
		if !cs.paused {
			return gnet.Close
		}
		cs.closeWhenDrained = true
		_, _ = c.Discard(-1) // n <= 0 drops everything buffered: nothing more is served
		return gnet.None
	}
	if !cs.startLinger(c, now) {
		return gnet.Close
	}
	return gnet.None
}

// startLinger shuts down c's sending side and from then on drops what the client sends.
// It reports false when the shutdown failed and the caller must close instead. Only for
// an open connection with nothing queued.
func (cs *conn) startLinger(c gnet.Conn, now int64) bool {
	if unix.Shutdown(c.Fd(), unix.SHUT_WR) != nil {
		return false
	}
	cs.track(now, false, false, false) // no request is in progress any more
	cs.lingering = true
	_, _ = c.Discard(-1)
	return true
}

// discardWhileLingering drops what a lingering client sends; past lingerBytes it closes.
func (cs *conn) discardWhileLingering(c gnet.Conn) gnet.Action {
	n, _ := c.Discard(-1)
	cs.lingered += n
	if cs.lingered > lingerBytes {
		return gnet.Close
	}
	return gnet.None
}
