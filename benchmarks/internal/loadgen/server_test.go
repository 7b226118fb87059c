package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// eventKey is one received event: user number and value doubled.
type eventKey struct{ user, doubledValue uint64 }

// testServer is a minimal raw TCP HTTP/1.1 endpoint: it reads each request
// head and Content-Length body, records the event it carries and answers
// with a canned response. Modes make it misbehave for the error tests.
type testServer struct {
	ln net.Listener
	// answer400Every, when > 0, answers every k-th request with 400.
	answer400Every int64
	// closeAfter, when > 0, closes each connection after that many requests
	// without answering the last one.
	closeAfter int

	requests atomic.Int64
	mu       sync.Mutex
	events   map[eventKey]int
	bad      []string // requests that did not parse
	wg       sync.WaitGroup
}

func startTestServer(t *testing.T, configure func(*testServer)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &testServer{ln: ln, events: map[eventKey]int{}}
	if configure != nil {
		configure(s)
	}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *testServer) addr() string { return s.ln.Addr().String() }

func (s *testServer) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go s.serve(conn)
	}
}

var (
	okResponse  = []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	badResponse = []byte("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"error\":\"bad json\"}")
)

func (s *testServer) serve(conn net.Conn) {
	defer s.wg.Done()
	defer conn.Close()
	r := bufio.NewReader(conn)
	w := bufio.NewWriter(conn)
	for served := 0; ; served++ {
		body, err := readRequest(r)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.note("read: " + err.Error())
			}
			return
		}
		if s.closeAfter > 0 && served+1 >= s.closeAfter {
			_ = w.Flush()
			return // drop this request unanswered
		}
		s.record(body)
		n := s.requests.Add(1)
		resp := okResponse
		if s.answer400Every > 0 && n%s.answer400Every == 0 {
			resp = badResponse
		}
		_, _ = w.Write(resp)
		// Flush only when no further request is already buffered, so
		// pipelined requests get their answers batched like a real server.
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}

// readRequest reads one request and returns its body.
func readRequest(r *bufio.Reader) ([]byte, error) {
	length := -1
	for first := true; ; first = false {
		line, err := r.ReadSlice('\n')
		if err != nil {
			if first && len(line) == 0 {
				return nil, io.EOF
			}
			return nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		if first {
			if string(line) != "POST /event HTTP/1.1" {
				return nil, errors.New("request line " + string(line))
			}
			continue
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if ok && bytes.EqualFold(name, []byte("Content-Length")) {
			length, err = strconv.Atoi(string(bytes.TrimSpace(value)))
			if err != nil {
				return nil, err
			}
		}
	}
	if length < 0 {
		return nil, errors.New("no Content-Length")
	}
	body := make([]byte, length)
	_, err := io.ReadFull(r, body)
	return body, err
}

// record parses {"userId":"user_U","value":V} strictly and counts it.
func (s *testServer) record(body []byte) {
	rest, ok := bytes.CutPrefix(body, []byte(`{"userId":"user_`))
	user, rest, ok2 := bytes.Cut(rest, []byte(`","value":`))
	value, ok3 := bytes.CutSuffix(rest, []byte("}"))
	if !ok || !ok2 || !ok3 {
		s.note("body " + string(body))
		return
	}
	u, err := strconv.ParseUint(string(user), 10, 64)
	if err != nil {
		s.note("user " + string(body))
		return
	}
	doubled := uint64(0)
	if whole, ok := bytes.CutSuffix(value, []byte(".5")); ok {
		value, doubled = whole, 1
	}
	v, err := strconv.ParseUint(string(value), 10, 64)
	if err != nil {
		s.note("value " + string(body))
		return
	}
	s.mu.Lock()
	s.events[eventKey{u, 2*v + doubled}]++
	s.mu.Unlock()
}

func (s *testServer) note(msg string) {
	s.mu.Lock()
	s.bad = append(s.bad, msg)
	s.mu.Unlock()
}
