package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests treat the daemon as a process: they watch its sockets and its resident
// memory in /proc while clients misbehave at the TCP level. The bounds are generous on
// purpose: they catch leaks (a socket per connection, memory per request), not tuning.

// rssSlack is how far the daemon's resident set may grow over its baseline in a test.
const rssSlack = 64 << 20

// procRSS returns the resident set size of process pid in bytes (VmRSS).
func procRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			require.NoError(t, err, line)
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// procSockets counts the open file descriptors of process pid that are sockets.
func procSockets(t *testing.T, pid int) int {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	n := 0
	for _, e := range entries {
		if link, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(link, "socket:") {
			n++
		}
	}
	return n
}

// waitSockets polls until the daemon holds exactly want sockets and fails after within.
func waitSockets(t *testing.T, d *testDaemon, want int, within time.Duration) {
	t.Helper()
	pid := d.cmd.Process.Pid
	deadline := time.Now().Add(within)
	for {
		got := procSockets(t, pid)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon holds %d sockets, want %d", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// socketBaseline is the daemon's socket count once the health probes of startDaemon are
// closed: its listeners only.
func socketBaseline(t *testing.T, d *testDaemon) int {
	t.Helper()
	pid := d.cmd.Process.Pid
	last, stable := -1, 0
	for range 200 {
		n := procSockets(t, pid)
		if n == last {
			stable++
			if stable == 5 {
				return n
			}
		} else {
			last, stable = n, 0
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the daemon's socket count does not settle")
	return 0
}

// resetClose closes c with SO_LINGER 0: the kernel drops what is unsent and sends RST.
func resetClose(t *testing.T, c net.Conn) {
	t.Helper()
	tc, ok := c.(*net.TCPConn)
	require.True(t, ok)
	require.NoError(t, tc.SetLinger(0))
	require.NoError(t, tc.Close())
}

// rssWatch samples a process's RSS until stopped and keeps the peak.
type rssWatch struct {
	stop chan struct{}
	done chan int64
}

func watchRSS(t *testing.T, pid int) *rssWatch {
	w := &rssWatch{stop: make(chan struct{}), done: make(chan int64, 1)}
	go func() {
		peak := int64(0)
		for {
			if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status"); err == nil {
				for line := range strings.SplitSeq(string(b), "\n") {
					if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
						kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
						peak = max(peak, kb<<10)
					}
				}
			}
			select {
			case <-w.stop:
				w.done <- peak
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *rssWatch) peak() int64 {
	close(w.stop)
	return <-w.done
}

// TestThousandResetConnections opens 1,000 connections in five states (idle, half a header,
// one answered event plus half a second one, half a body, 500 unread pipelined requests),
// resets them all, and checks that the daemon frees every socket, counted exactly the
// answered events, and did not grow.
func TestThousandResetConnections(t *testing.T) {
	d := startDaemon(t, "-loops", "2")
	pid := d.cmd.Process.Pid
	baseSockets := socketBaseline(t, d)
	baseRSS := procRSS(t, pid)
	watch := watchRSS(t, pid)
	before := d.stats().TotalRequests

	ev := eventRequest("reset", "1")
	var pipelined []byte
	for range 500 {
		pipelined = append(pipelined, statsReq...)
	}
	const conns = 1000
	cs := make([]net.Conn, conns)
	answered := 0
	for i := range cs {
		c, err := net.DialTimeout("tcp", d.addr, 2*time.Second)
		require.NoError(t, err, "connection %d", i)
		require.NoError(t, c.SetDeadline(time.Now().Add(20*time.Second)))
		cs[i] = c
		switch i % 5 {
		case 1:
			_, err = c.Write(ev[:20])
		case 2:
			if _, err = c.Write(append(append([]byte{}, ev...), ev[:30]...)); err == nil {
				requireOnlyOK(t, readResponses(t, bufio.NewReader(c), 1))
				answered++
			}
		case 3:
			_, err = c.Write(ev[:len(ev)-5])
		case 4:
			_, err = c.Write(pipelined)
		}
		require.NoError(t, err, "connection %d", i)
	}
	waitSockets(t, d, baseSockets+conns, 10*time.Second)
	for _, c := range cs {
		resetClose(t, c)
	}
	waitSockets(t, d, baseSockets, 10*time.Second)

	code, _ := d.get("/health")
	require.Equal(t, 200, code)
	assert.Equal(t, int64(answered), d.stats().TotalRequests-before, "only answered events are counted")
	peak := watch.peak()
	t.Logf("RSS: baseline %d MiB, peak %d MiB", baseRSS>>20, peak>>20)
	assert.Less(t, peak-baseRSS, int64(rssSlack), "RSS peaked at %d MiB over a baseline of %d MiB", peak>>20, baseRSS>>20)
	waitSockets(t, d, baseSockets, 5*time.Second)
}

// TestHalfClosedClientGetsItsAnswers: a client that shuts down its sending side after
// complete requests has said it is done sending, not reading (RFC 9112 §9.6): every
// response still arrives, then the daemon closes.
func TestHalfClosedClientGetsItsAnswers(t *testing.T) {
	d := startDaemon(t, "-loops", "1")
	baseSockets := socketBaseline(t, d)
	before := d.stats().TotalRequests
	cases := []struct {
		name   string
		send   string
		status []int
		events int64
	}{
		{"one request", healthReq, []int{200}, 0},
		{"pipelined events and stats", strings.Repeat(string(eventRequest("half", "2")), 3) + statsReq, []int{200, 200, 200, 200}, 3},
		{"a chunked event", chunkedPost("chunked") + oneChunk, []int{200}, 1},
		{"a request and a half", healthReq + "GET /hea", []int{200}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := d.dial()
			_, err := c.Write([]byte(tc.send))
			require.NoError(t, err)
			require.NoError(t, c.(*net.TCPConn).CloseWrite())
			br := bufio.NewReader(strings.NewReader(readUntilClosed(t, c, 5*time.Second)))
			assert.Equal(t, tc.status, readResponses(t, br, len(tc.status)))
			_, err = br.ReadByte()
			assert.ErrorIs(t, err, io.EOF, "nothing after the answers")
			now := d.stats().TotalRequests
			assert.Equal(t, tc.events, now-before)
			before = now
		})
	}
	waitSockets(t, d, baseSockets, 5*time.Second)
}

// TestHalfClosedPipelinerGetsEveryAnswer: the same with a batch whose answers exceed what
// the kernel buffers for a client that reads only after it has sent everything and
// half-closed. The daemon must not drop what it owes when it meets the client's FIN.
func TestHalfClosedPipelinerGetsEveryAnswer(t *testing.T) {
	// The per-read answer budget is lifted: a /stats flood is what the test needs.
	d := startDaemon(t, "-loops", "1", "-max-pending-output", strconv.Itoa(64<<20))
	const n = 40_000 // ~7.6 MB of /stats answers, more than the kernel buffers
	c := d.dial()
	sent := make(chan error, 1)
	go func() {
		// The daemon stops reading while answers wait for us, so the requests may not
		// all fit in the kernel before we read: send them beside the reader.
		_, err := c.Write([]byte(strings.Repeat(statsReq, n)))
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		sent <- err
	}()
	// Read nothing for a while: a daemon that reads the FIN while answers are queued
	// would close and lose them now.
	time.Sleep(time.Second)
	br := bufio.NewReader(strings.NewReader(readUntilClosed(t, c, 30*time.Second)))
	require.NoError(t, <-sent)
	got := 0
	for ; got < n; got++ {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			break
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		require.Equal(t, 200, resp.StatusCode)
	}
	require.Equal(t, n, got, "answers received before the daemon closed")
}

// TestClientVanishesMidRequest: a client that leaves (FIN or RST) in the middle of a
// header, a body or a chunked body costs nothing: no event, no answer, no socket left.
func TestClientVanishesMidRequest(t *testing.T) {
	d := startDaemon(t, "-loops", "1")
	baseSockets := socketBaseline(t, d)
	before := d.stats().TotalRequests
	ev := string(eventRequest("gone", "5"))
	headerEnd := strings.Index(ev, "\r\n\r\n") + 4
	partials := map[string]string{
		"half a request line": ev[:8],
		"half a header":       ev[:headerEnd/2],
		"header, no body":     ev[:headerEnd],
		"half a body":         ev[:headerEnd+(len(ev)-headerEnd)/2],
		"half a chunked body": chunkedPost("chunked") + "18\r\n" + evBody[:10],
		"expect, no body":     evHead("Expect: 100-continue\r\n"),
	}
	for name, partial := range partials {
		for _, reset := range []bool{false, true} {
			t.Run(name+map[bool]string{false: " then FIN", true: " then RST"}[reset], func(t *testing.T) {
				c := d.dial()
				_, err := c.Write([]byte(partial))
				require.NoError(t, err)
				time.Sleep(20 * time.Millisecond) // the daemon reads the partial request first
				if reset {
					resetClose(t, c)
					return
				}
				require.NoError(t, c.(*net.TCPConn).CloseWrite())
				got := readUntilClosed(t, c, 5*time.Second)
				if strings.Contains(partial, "Expect: 100-continue") {
					got = strings.TrimPrefix(got, "HTTP/1.1 100 Continue\r\n\r\n")
				}
				assert.Empty(t, got, "an unfinished request is not answered")
			})
		}
	}
	waitSockets(t, d, baseSockets, 5*time.Second)
	assert.Equal(t, before, d.stats().TotalRequests, "no partial request is counted")
	code, _ := d.get("/health")
	assert.Equal(t, 200, code)
}

// TestConcurrentResetStorm resets connections from many goroutines while others are being
// served: served clients must see only 200s and the daemon must end with its baseline.
func TestConcurrentResetStorm(t *testing.T) {
	d := startDaemon(t, "-loops", "2")
	baseSockets := socketBaseline(t, d)
	before := d.stats().TotalRequests
	var wg sync.WaitGroup
	const workers, rounds = 8, 40
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				c, err := net.DialTimeout("tcp", d.addr, 2*time.Second)
				if !assert.NoError(t, err) {
					return
				}
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				if w%2 == 0 {
					// A served client: one event, answered.
					_, err = c.Write(eventRequest("storm"+strconv.Itoa(w), strconv.Itoa(r)))
					if assert.NoError(t, err) {
						resp, err := http.ReadResponse(bufio.NewReader(c), nil)
						if assert.NoError(t, err) {
							assert.Equal(t, 200, resp.StatusCode)
						}
					}
					_ = c.Close()
					continue
				}
				// A vanishing client: half a request, then RST.
				_, _ = c.Write([]byte(statsReq[:r%len(statsReq)+1]))
				_ = c.(*net.TCPConn).SetLinger(0)
				_ = c.Close()
			}
		}()
	}
	wg.Wait()
	waitSockets(t, d, baseSockets, 10*time.Second)
	assert.Equal(t, int64(workers/2*rounds), d.stats().TotalRequests-before)
}

// TestRejectedWhileSendingStillGetsTheAnswer: a client still streaming a body the daemon
// refused (413 from the header) must read the 413 before the connection goes away, even
// though the daemon closes with the client's bytes unread (RFC 9112 §9.6 warns that an
// immediate close can turn into a reset that destroys the last response).
func TestRejectedWhileSendingStillGetsTheAnswer(t *testing.T) {
	d := startDaemon(t, "-loops", "1")
	for i := range 5 {
		c := d.dial()
		require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
		go func() {
			if _, err := c.Write([]byte("POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n")); err != nil {
				return
			}
			chunk := []byte(strings.Repeat("a", 16<<10))
			for {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}()
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err, "attempt %d", i)
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		assert.True(t, resp.Close)
		_ = c.Close()
	}
}
