package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readUntilClosed reads what the server sends until it closes the connection, failing
// the test if that takes longer than within (a bound on a timeout, not a speed claim).
func readUntilClosed(t *testing.T, c net.Conn, within time.Duration) string {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(within)))
	b, err := io.ReadAll(c)
	require.NoError(t, err, "the server did not close the connection in time")
	return string(b)
}

func TestSlowlorisIsAnswered408AndOthersAreServed(t *testing.T) {
	d := startDaemon(t, "-header-timeout", "1s", "-loops", "1")
	slow := d.dial()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		req := "GET /health HTTP/1.1\r\nHost: t\r\nX-Slow: " + strings.Repeat("a", 1000)
		for i := range len(req) {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := slow.Write([]byte(req[i : i+1])); err != nil {
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	// The same single loop serves a fresh client while the slow one hangs on.
	code, _ := d.get("/health")
	assert.Equal(t, 200, code)
	got := readUntilClosed(t, slow, 10*time.Second)
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(got)), nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
}

func TestBodyTimeout(t *testing.T) {
	d := startDaemon(t, "-body-timeout", "1s")
	c := d.dial()
	_, err := c.Write([]byte("POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 30\r\n\r\n{\"userId\""))
	require.NoError(t, err)
	got := readUntilClosed(t, c, 10*time.Second)
	assert.Contains(t, got, "HTTP/1.1 408 ")
	assert.Contains(t, got, "request body timeout")
	assert.Zero(t, d.stats().TotalRequests)
}

func TestIdleConnectionsAreClosedAndDoNotBlockOthers(t *testing.T) {
	d := startDaemon(t, "-idle-timeout", "1s")
	idle := make([]net.Conn, 1000)
	for i := range idle {
		idle[i] = d.dial()
	}
	code, _ := d.get("/health")
	assert.Equal(t, 200, code, "a fresh client is served while 1,000 connections idle")
	for _, c := range idle[:20] {
		assert.Empty(t, readUntilClosed(t, c, 10*time.Second), "idle connections close without an answer")
	}
}

func TestMaxConnsRefusesTheExtraConnectionOnly(t *testing.T) {
	d := startDaemon(t, "-max-conns", "4", "-loops", "1")
	served := make([]*bufio.Reader, 0, 3)
	conns := make([]net.Conn, 0, 3)
	for range 3 { // the fourth slot is the health probe's and is free again
		c := d.dial()
		_, err := c.Write([]byte("GET /health HTTP/1.1\r\nHost: t\r\n\r\n"))
		require.NoError(t, err)
		br := bufio.NewReader(c)
		requireOnlyOK(t, readResponses(t, br, 1))
		served = append(served, br)
		conns = append(conns, c)
	}
	fourth := d.dial()
	_, err := fourth.Write([]byte("GET /health HTTP/1.1\r\nHost: t\r\n\r\n"))
	require.NoError(t, err)
	requireOnlyOK(t, readResponses(t, bufio.NewReader(fourth), 1))

	extra := d.dial()
	got := readUntilClosed(t, extra, 5*time.Second)
	assert.Contains(t, got, "HTTP/1.1 503 ")
	for i, c := range conns {
		_, err := c.Write([]byte("GET /health HTTP/1.1\r\nHost: t\r\n\r\n"))
		require.NoError(t, err)
		requireOnlyOK(t, readResponses(t, served[i], 1))
	}
}
