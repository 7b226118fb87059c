package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// daemonBin is the onemrcd binary under test, built once by TestMain exactly as users
// build it (go build ./server), with -race when the tests run with it.
var daemonBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "onemrcd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	daemonBin = filepath.Join(dir, "onemrcd")
	args := []string{"build", "-o", daemonBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building onemrcd:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testDaemon is one running onemrcd.
type testDaemon struct {
	t    *testing.T
	addr string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// startDaemon runs onemrcd on a free loopback port and waits until /health answers,
// with -drain-timeout 0 unless args say otherwise.
// The daemon is stopped with SIGTERM when the test ends unless the test stopped it.
func startDaemon(t *testing.T, args ...string) *testDaemon {
	t.Helper()
	return startDaemonAt(t, freePort(t), args...)
}

// startDaemonAt is startDaemon on a given address.
func startDaemonAt(t *testing.T, addr string, args ...string) *testDaemon {
	t.Helper()
	d := &testDaemon{t: t, addr: addr, logs: &syncBuffer{}, done: make(chan error, 1)}
	// No drain by default: a test that stops the daemon stops it at once (drain_test.go
	// passes its own -drain-timeout, which comes later and wins).
	d.cmd = exec.Command(daemonBin, append([]string{"-addr", d.addr, "-admin-addr", "", "-drain-timeout", "0"}, args...)...)
	d.cmd.Stdout, d.cmd.Stderr = d.logs, d.logs
	require.NoError(t, d.cmd.Start())
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			_ = d.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-d.done:
			case <-time.After(10 * time.Second):
				_ = d.cmd.Process.Kill()
			}
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if code, _ := d.get("/health"); code == 200 {
			return d
		}
		select {
		case err := <-d.done:
			t.Fatalf("daemon exited early: %v\n%s", err, d.logs.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "daemon did not become healthy")
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and returns the exit code.
func (d *testDaemon) stop() int {
	require.NoError(d.t, d.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-d.done:
	case <-time.After(15 * time.Second):
		_ = d.cmd.Process.Kill()
		d.t.Fatal("daemon did not stop on SIGTERM")
	}
	return d.cmd.ProcessState.ExitCode()
}

// get sends one request on a fresh connection and returns the status and body.
func (d *testDaemon) get(path string) (int, string) {
	c, err := net.DialTimeout("tcp", d.addr, time.Second)
	if err != nil {
		return 0, ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", path)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// dial opens a raw connection with a generous deadline.
func (d *testDaemon) dial() net.Conn {
	c, err := net.DialTimeout("tcp", d.addr, 2*time.Second)
	require.NoError(d.t, err)
	require.NoError(d.t, c.SetDeadline(time.Now().Add(60*time.Second)))
	d.t.Cleanup(func() { c.Close() })
	return c
}

func eventRequest(user string, value string) []byte {
	body := `{"userId":"` + user + `","value":` + value + `}`
	return []byte(fmt.Sprintf("POST /event HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
}

// readResponses reads n responses from br; HEAD is never used with it.
func readResponses(t *testing.T, br *bufio.Reader, n int) []int {
	codes := make([]int, 0, n)
	for range n {
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		_, err = io.Copy(io.Discard, resp.Body)
		require.NoError(t, err)
		codes = append(codes, resp.StatusCode)
	}
	return codes
}

func requireOnlyOK(t *testing.T, codes []int) {
	t.Helper()
	for i, c := range codes {
		require.Equal(t, 200, c, "response %d", i)
	}
}
