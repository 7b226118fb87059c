package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Connection-level promises, each tried against the real binary the way the client that
// broke it behaved.

// TestRestartBindsAtOnce: after a stop with keep-alive clients connected, the daemon's
// side of their connections sits in TIME_WAIT on the listening port; a restart on the
// same address must serve within a second regardless (SO_REUSEADDR).
func TestRestartBindsAtOnce(t *testing.T) {
	d := startDaemon(t, "-loops", "2")
	var clients []net.Conn
	for range 20 {
		c := d.dial()
		_, err := c.Write([]byte(healthReq))
		require.NoError(t, err)
		requireOnlyOK(t, readResponses(t, bufio.NewReader(c), 1))
		clients = append(clients, c)
	}
	require.Equal(t, 0, d.stop())
	for _, c := range clients {
		c.Close() // the daemon closed first: its side is the one in TIME_WAIT
	}

	start := time.Now()
	startDaemonAt(t, d.addr, "-loops", "2") // fails the test if the daemon exits
	assert.Less(t, time.Since(start), time.Second, "a restart on the same address took this long to serve")
}

// TestSecondSignalExitsAtOnce: a second SIGTERM while the daemon is stopping ends it at
// once with exit code 1 instead of being ignored. The stop is made to hang the way it
// does in production: the cluster's Redis stops answering, and the last flush waits for
// its timeout.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	r := startRedis(t)
	d := startDaemon(t, "-loops", "1", "-cluster", r.URL(), "-node-id", "sig", "-flush-interval", "50ms")
	require.NoError(t, r.Signal(syscall.SIGSTOP))
	t.Cleanup(func() { _ = r.Signal(syscall.SIGCONT) })
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool { return strings.Contains(d.logs.String(), "onemrcd stopping") },
		5*time.Second, 10*time.Millisecond)
	time.Sleep(200 * time.Millisecond) // well inside the last flush's wait
	second := time.Now()
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-d.done:
	case <-time.After(15 * time.Second):
		t.Fatal("the daemon did not exit")
	}
	assert.Less(t, time.Since(second), 2*time.Second, "exit after the second signal took this long")
	assert.Equal(t, 1, d.cmd.ProcessState.ExitCode())
	assert.Contains(t, d.logs.String(), "second signal during shutdown")
}

// TestPipelinerSplitAtEveryByteIsNeverTimedOut: a client that pipelines for longer than
// -header-timeout, each write ending inside the next request at a different offset (as
// TCP segmentation does), gets every answer and no 408: a timer measures one request.
func TestPipelinerSplitAtEveryByteIsNeverTimedOut(t *testing.T) {
	d := startDaemon(t, "-loops", "1", "-header-timeout", "1s", "-body-timeout", "1s")
	c := d.dial()
	require.NoError(t, c.(*net.TCPConn).SetNoDelay(true))
	one := string(eventRequest("pipeliner", "3"))
	const runFor = 2500 * time.Millisecond // past the timeout and two sweeps
	var sent atomic.Int64
	writeErr := make(chan error, 1)
	go func() {
		stream := strings.Repeat(one, 2)
		off := 0 // where in `one` the stream stands
		for k, start := 0, time.Now(); time.Since(start) < runFor; k++ {
			// A write that completes the request under way and stops 1 to len-1 bytes into
			// the next one: over the run every offset inside a request is a write
			// boundary, and no write ends between two requests.
			cut := 1 + k%(len(one)-1)
			w := stream[off : len(one)+cut]
			if _, err := c.Write([]byte(w)); err != nil {
				writeErr <- err
				return
			}
			sent.Add(1)
			off = cut
			time.Sleep(2 * time.Millisecond)
		}
		_, err := c.Write([]byte(one[off:])) // finish the last request
		writeErr <- err
	}()
	br := bufio.NewReader(c)
	got := 0
	var werr error
	for done := false; ; {
		if !done {
			select {
			case werr = <-writeErr:
				done = true
				require.NoError(t, werr)
			default:
			}
		}
		if done && int64(got) == sent.Load()+1 {
			break
		}
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err, "after %d answers", got)
		_, _ = io.Copy(io.Discard, resp.Body)
		require.Equal(t, 200, resp.StatusCode, "answer %d", got)
		got++
	}
	t.Logf("%d requests over %v, each write ending inside the next request", got, runFor)
}

// TestNonReadingPipelinerIsPaused: a client that pipelines without reading is not read
// any more once answers are queued for it (its writes block, its memory stays in the
// kernel), and is served again, every request answered, once it reads.
func TestNonReadingPipelinerIsPaused(t *testing.T) {
	d := startDaemon(t, "-loops", "1")
	pid := d.cmd.Process.Pid
	baseSockets := socketBaseline(t, d)
	baseRSS := procRSS(t, pid)
	watch := watchRSS(t, pid)
	before := d.stats().TotalRequests

	c := dialSmallReceiveBuffer(t, d.addr, 4096)
	one := eventRequest("noread", "1")
	batch := []byte(strings.Repeat(string(one), 500))
	sent := 0
	var writeErr error
	for sent < 256<<20 {
		require.NoError(t, c.SetWriteDeadline(time.Now().Add(time.Second)))
		var n int
		n, writeErr = c.Write(batch)
		sent += n
		if writeErr != nil {
			break
		}
	}
	var ne net.Error
	require.True(t, errors.As(writeErr, &ne) && ne.Timeout(), "the daemon did not stop reading: %v after %d KiB", writeErr, sent>>10)
	t.Logf("the daemon stopped reading after %d KiB of requests", sent>>10)
	peak := watch.peak()
	assert.Less(t, peak-baseRSS, int64(16<<20), "RSS grew from %d to %d MiB", baseRSS>>20, peak>>20)

	// Now the client reads: every complete request it sent is answered, and the partial
	// one it was writing waits for its end.
	complete := sent / len(one)
	rest := len(one) - sent%len(one)
	if rest < len(one) {
		complete++ // the partial one, once its end is written below
	}
	require.NoError(t, c.SetDeadline(time.Now().Add(30*time.Second)))
	var wg sync.WaitGroup
	wg.Go(func() {
		if rest < len(one) {
			_, err := c.Write(one[len(one)-rest:])
			assert.NoError(t, err)
		}
	})
	requireOnlyOK(t, readResponses(t, bufio.NewReader(c), complete))
	wg.Wait()
	assert.Equal(t, int64(complete), d.stats().TotalRequests-before)
	c.Close()
	waitSockets(t, d, baseSockets, 5*time.Second)
}

// TestResetAfterCloseSparesOtherClients: clients that ask for Connection: close and reset
// at once make the daemon's write fail, and gnet closes their descriptor inside the
// write; the descriptor number then goes to the next client accepted. Nothing the daemon
// does after that write may reach that number: innocent keep-alive clients alongside
// get every answer.
func TestResetAfterCloseSparesOtherClients(t *testing.T) {
	d := startDaemon(t, "-loops", "2")
	const runFor = 3 * time.Second
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			req := []byte("GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.Dial("tcp", d.addr)
				if err != nil {
					continue
				}
				_, _ = c.Write(req)
				_ = c.(*net.TCPConn).SetLinger(0)
				_ = c.Close()
			}
		})
	}
	var conns, failed atomic.Int64
	var firstErr atomic.Value
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.DialTimeout("tcp", d.addr, 2*time.Second)
				if err != nil {
					continue
				}
				conns.Add(1)
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				br := bufio.NewReader(c)
				for range 3 {
					_, err = c.Write([]byte(healthReq))
					if err == nil {
						var resp *http.Response
						if resp, err = http.ReadResponse(br, nil); err == nil {
							_, err = io.Copy(io.Discard, resp.Body)
						}
					}
					if err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
						break
					}
				}
				_ = c.Close()
			}
		})
	}
	time.Sleep(runFor)
	close(stop)
	wg.Wait()
	t.Logf("%d innocent connections, %d failed", conns.Load(), failed.Load())
	require.NotZero(t, conns.Load())
	assert.Zero(t, failed.Load(), "innocent connections failed; first: %v", firstErr.Load())
}

// dialSmallReceiveBuffer connects with SO_RCVBUF set before the handshake, so the window
// scale fits the small buffer (set afterwards, loopback TCP can stall on a window below
// one segment, which no server can help).
func dialSmallReceiveBuffer(t *testing.T, addr string, size int) net.Conn {
	t.Helper()
	dialer := net.Dialer{Timeout: 2 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, size)
		})
		return errors.Join(err, serr)
	}}
	c, err := dialer.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}
