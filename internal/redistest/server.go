package redistest

import (
	"bufio"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RequireEnv is the variable that turns a missing redis-server into a failure.
const RequireEnv = "ONEMRC_REQUIRE_REDIS"

// readyWait bounds how long a starting server may take to answer PING.
const readyWait = 10 * time.Second

// Server is one redis-server process. Its port and directory stay the same across
// Restart, so a restarted server is the same server to its clients (and finds its
// dump.rdb, or its cluster's nodes.conf, again).
type Server struct {
	t     testing.TB
	bin   string
	port  int
	dir   string
	base  []string // before extra: the config file, if any, and what Start fixed
	extra []string // the caller's, which Restart replaces

	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
}

// Start runs redis-server on a free 127.0.0.1 port, in its own t.TempDir(), without
// persistence (--save "" --appendonly no); args are appended, so they override those
// (--requirepass x; --dbfilename f --save ""). It returns once the server answers PING.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	return start(t, freePort(t), nil, nil, args)
}

// start runs one server on port: pre comes first (a config file), then what every
// server here has, then fixed (the same across Restart), then extra.
func start(t testing.TB, port int, pre, fixed, extra []string) *Server {
	t.Helper()
	s := &Server{t: t, bin: lookPath(t, "redis-server"), port: port, dir: t.TempDir(), extra: extra}
	s.base = append(append(append([]string(nil), pre...),
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--protected-mode", "no",
		"--dir", s.dir, "--save", "", "--appendonly", "no"), fixed...)
	t.Cleanup(s.Stop) // after t.TempDir's cleanup is registered: runs before it
	s.run()
	return s
}

// lookPath finds a Redis binary, or ends the test: a skip, or a failure under RequireEnv.
func lookPath(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err == nil {
		return bin
	}
	if os.Getenv(RequireEnv) != "" {
		t.Fatalf("redistest: %s is not installed, and %s is set", name, RequireEnv)
	}
	t.Skipf("redistest: %s is not installed (apt-get install redis-server)", name)
	return ""
}

// run starts the process and waits until it answers PING (+PONG, or -NOAUTH when it
// wants a password). A server that exits first fails the test with its log.
func (s *Server) run() {
	s.t.Helper()
	logPath := filepath.Join(s.dir, "redis-server.log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.t.Fatalf("redistest: %v", err)
	}
	defer log.Close() // the child has its own copy
	s.cmd = exec.Command(s.bin, append(append([]string(nil), s.base...), s.extra...)...)
	s.cmd.Dir = s.dir
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("redistest: starting %s: %v", s.bin, err)
	}
	exited := make(chan struct{})
	s.exited = exited
	go func(cmd *exec.Cmd) {
		_ = cmd.Wait() // a killed server exits with an error; nobody reads it
		close(exited)
	}(s.cmd)

	deadline := time.Now().Add(readyWait)
	for {
		select {
		case <-exited:
			s.cmd = nil
			logText, _ := os.ReadFile(logPath)
			s.t.Fatalf("redistest: redis-server on %s exited at start:\n%s", s.Addr(), logText)
		default:
		}
		if s.pings() {
			return
		}
		if time.Now().After(deadline) {
			s.Stop()
			logText, _ := os.ReadFile(logPath)
			s.t.Fatalf("redistest: redis-server on %s did not answer PING within %v:\n%s", s.Addr(), readyWait, logText)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pings reports whether the server answers PING as a live server does.
func (s *Server) pings() bool {
	c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := readLine(bufio.NewReader(c))
	return err == nil && (line == "+PONG" || strings.HasPrefix(line, "-NOAUTH"))
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL is the server's database 0 as a -cluster URL, without a password.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Dir is the directory the server runs in (and writes dump.rdb to, unless told --dir).
func (s *Server) Dir() string { return s.dir }

// Signal sends sig to the running server: SIGSTOP and SIGCONT make a Redis that hangs
// without closing its connections.
func (s *Server) Signal(sig os.Signal) error { return s.cmd.Process.Signal(sig) }

// Stop kills the server (SIGKILL: a crash, which saves nothing) and waits until it is
// gone. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.t.Errorf("redistest: killing redis-server %d: %v", s.cmd.Process.Pid, err)
	}
	<-s.exited
	s.cmd = nil
}

// Restart stops the server if it runs and starts it again on the same port and in the
// same directory, with args in place of the extra arguments it had; it returns once the
// server answers PING.
func (s *Server) Restart(args ...string) {
	s.t.Helper()
	s.Stop()
	s.extra = args
	s.run()
}

// password is the --requirepass among the server's arguments (the last one counts, as
// in redis-server), or "".
func (s *Server) password() string {
	pw := ""
	args := append(append([]string(nil), s.base...), s.extra...)
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--requirepass" {
			pw = args[i+1]
		}
	}
	return pw
}

// freePort returns a 127.0.0.1 port that is free, and so is the port 10000 above it,
// which a cluster node takes for its bus. Another process may take either before the
// server does: a rare failed start, not a wrong result.
func freePort(t testing.TB) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("redistest: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if port+10000 > 65535 {
			l.Close()
			continue
		}
		bus, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000)))
		l.Close()
		if err != nil {
			continue
		}
		bus.Close()
		return port
	}
	t.Fatal("redistest: no free port pair (port, port+10000) on 127.0.0.1")
	return 0
}
