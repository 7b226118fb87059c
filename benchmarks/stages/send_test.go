package stages

import (
	"bytes"
	"net"
	"syscall"
	"testing"
)

var sendSink int

// loopbackPair is a connected loopback TCP connection whose far end is read
// and discarded by its own goroutine until the near end closes.
type loopbackPair struct {
	conn *net.TCPConn
	raw  syscall.RawConn
	fd   int
	done chan struct{}
}

func newLoopbackPair(tb testing.TB) *loopbackPair {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	peer, err := ln.Accept()
	if err != nil {
		tb.Fatal(err)
	}
	p := &loopbackPair{conn: conn.(*net.TCPConn), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		defer peer.Close()
		buf := make([]byte, 256<<10)
		for {
			if _, err := peer.Read(buf); err != nil {
				return
			}
		}
	}()
	if p.raw, err = p.conn.SyscallConn(); err != nil {
		tb.Fatal(err)
	}
	// The descriptor stays valid until Close below; the benchmark writes to
	// it directly, as an event loop does, bypassing net's fd lock.
	if err := p.raw.Control(func(fd uintptr) { p.fd = int(fd) }); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		p.conn.Close()
		<-p.done
	})
	return p
}

// write sends all of buf with write(2) on the raw (non-blocking) socket.
func (p *loopbackPair) write(buf []byte) error {
	for len(buf) > 0 {
		n, err := syscall.Write(p.fd, buf)
		if err == syscall.EAGAIN {
			n, err = p.writeWhenReady(buf)
		}
		if err != nil {
			return err
		}
		buf = buf[n:]
	}
	return nil
}

// writeWhenReady is write's slow path, taken when the socket buffer is full:
// it waits for writability through Go's poller (which also lets the draining
// goroutine run on a single core), then writes. It is a separate function so
// that the closure's captured variables are not heap-allocated on the fast
// path.
func (p *loopbackPair) writeWhenReady(buf []byte) (n int, err error) {
	werr := p.raw.Write(func(fd uintptr) bool {
		n, err = syscall.Write(int(fd), buf)
		return err != syscall.EAGAIN
	})
	if werr != nil {
		return 0, werr
	}
	return n, err
}

// sendCases are the writes measured: one 200, and the 16 responses to 16
// pipelined requests in one write (reported per response as ns/req).
var sendCases = []struct {
	name      string
	responses int
}{
	{"one", 1},
	{"batch16", 16},
}

// BenchmarkSend is the send stage as an event loop runs it: one write(2) of
// the canned 200 (or of a batch of them) on a connected loopback TCP socket
// whose peer drains it in another goroutine. Pinned to one core, the
// peer's reads share the core and their cost is amortized into the figure,
// as a local client's would be.
func BenchmarkSend(b *testing.B) {
	for _, sc := range sendCases {
		b.Run(sc.name, func(b *testing.B) {
			out := bytes.Repeat(cannedEventOK(b), sc.responses)
			p := newLoopbackPair(b)
			b.SetBytes(int64(len(out)))
			b.ReportAllocs()
			n := 0
			cpu := startCPU()
			for b.Loop() {
				if err := p.write(out); err != nil {
					b.Fatal(err)
				}
				n++
			}
			cpu.report(b, sc.responses)
			sendSink = n
		})
	}
}

// BenchmarkSendNetConn is the baseline: the standard library's
// (*net.TCPConn).Write of the same bytes (fd lock, then write(2), parking
// on the poller when the buffer is full).
func BenchmarkSendNetConn(b *testing.B) {
	for _, sc := range sendCases {
		b.Run(sc.name, func(b *testing.B) {
			out := bytes.Repeat(cannedEventOK(b), sc.responses)
			p := newLoopbackPair(b)
			b.SetBytes(int64(len(out)))
			b.ReportAllocs()
			n := 0
			cpu := startCPU()
			for b.Loop() {
				w, err := p.conn.Write(out)
				if err != nil || w != len(out) {
					b.Fatalf("Write = %d, %v", w, err)
				}
				n++
			}
			cpu.report(b, sc.responses)
			sendSink = n
		})
	}
}

// TestSendDelivers checks that loopbackPair.write delivers every byte, in
// order, across many socket-buffer fills.
func TestSendDelivers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() {
		var all bytes.Buffer
		_, _ = all.ReadFrom(peer)
		got <- all.Bytes()
	}()
	p := &loopbackPair{conn: conn.(*net.TCPConn)}
	if p.raw, err = p.conn.SyscallConn(); err != nil {
		t.Fatal(err)
	}
	if err := p.raw.Control(func(fd uintptr) { p.fd = int(fd) }); err != nil {
		t.Fatal(err)
	}
	chunk := cannedEventOK(t)
	const writes = 50_000 // ~4 MB: well past the socket buffers
	for range writes {
		if err := p.write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	want := bytes.Repeat(chunk, writes)
	if all := <-got; !bytes.Equal(all, want) {
		t.Fatalf("peer received %d bytes, want %d (or they differ)", len(all), len(want))
	}
}
