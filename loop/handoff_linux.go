package loop

import (
	"context"
	"net"
	"os"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// gnet closes a connection as soon as a read returns 0, which is also what a client that
// half-closes its side (shutdown(SHUT_WR), "I have sent everything") looks like; gnet then
// makes one non-blocking attempt to write what is still queued and drops the rest. RFC 9112
// §9.6 wants those answers delivered. So when a client half-closes with answers queued,
// the loop keeps the socket open through a duplicate descriptor, lets gnet finish its
// close, asks the kernel how many bytes it has accepted in all, and sends the rest of the
// mirror (see Conn.write) from a goroutine with a deadline.

// Handoffs are bounded: each holds at most MaxPendingOutput bytes for at most
// handoffDeadline, and at most maxHandoffs run at once (past that the answers are
// dropped, as gnet would).
const (
	handoffDeadline = 30 * time.Second
	maxHandoffs     = 256
)

var handoffSlots = make(chan struct{}, maxHandoffs)

// handOff runs in OnClose for a client that half-closed with output still queued.
func (s *Server) handOff(gc gnet.Conn, cs *Conn) {
	pending := gc.OutboundBuffered()
	if pending == 0 || len(cs.mirror) < pending {
		return
	}
	select {
	case handoffSlots <- struct{}{}:
	default:
		return
	}
	tail := append([]byte(nil), cs.mirror[len(cs.mirror)-pending:]...)
	written := cs.written
	fd, err := gc.Dup()
	if err != nil {
		<-handoffSlots
		return
	}
	// gnet's own last write happens after OnClose returns, on this loop; a task queued
	// now runs once that close is complete, when nothing but fd refers to the socket.
	finish := gnet.RunnableFunc(func(context.Context) error {
		accepted, ok := kernelAccepted(fd)
		if !ok || accepted > written || written-accepted > uint64(len(tail)) {
			unix.Close(fd)
			<-handoffSlots
			return nil
		}
		go sendRest(fd, tail[len(tail)-int(written-accepted):])
		return nil
	})
	if err := gc.EventLoop().Execute(context.Background(), finish); err != nil {
		unix.Close(fd)
		<-handoffSlots
	}
}

// kernelAccepted returns how many bytes the application has written to the TCP socket in
// all: those the peer acknowledged plus those still in the send queue.
func kernelAccepted(fd int) (uint64, bool) {
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0, false
	}
	queued, err := unix.IoctlGetInt(fd, unix.TIOCOUTQ)
	if err != nil || queued < 0 {
		return 0, false
	}
	return info.Bytes_acked + uint64(queued), true
}

// sendRest writes rest on fd through Go's poller (no thread blocks), then closes.
func sendRest(fd int, rest []byte) {
	defer func() { <-handoffSlots }()
	f := os.NewFile(uintptr(fd), "onemrc-handoff")
	conn, err := net.FileConn(f) // a duplicate of its own
	f.Close()
	if err != nil {
		return
	}
	defer conn.Close()
	_ = conn.SetWriteDeadline(time.Now().Add(handoffDeadline))
	if _, err := conn.Write(rest); err == nil {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}
}
