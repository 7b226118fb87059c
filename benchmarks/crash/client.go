package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Bounds on one connection of the load.
const (
	dialTimeout   = 2 * time.Second
	answerTimeout = 10 * time.Second // a write and its answer; the daemon is local
)

// load is one round of the client: one goroutine per keep-alive connection, each
// sending a POST /event, reading its answer, then sending the next, until its
// connection fails (the daemon was killed) or ctx ends.
type load struct {
	conns []connLoad
	done  sync.WaitGroup
	stop  context.CancelFunc
}

// connLoad is one connection's record; its goroutine alone writes it until done.
type connLoad struct {
	connResult
	err    error // what ended the connection
	non200 int   // answers other than 200 (each ends the connection)
}

// startLoad opens len(signs) connections to addr and starts sending. Connection c's
// event j has the user id crash_<tag>_<c>_<j> (a new user every time) and the value
// sign_c * (-1)^j * 2^c nanounits (see check.go).
func startLoad(ctx context.Context, addr, tag string, signs []int64) *load {
	ctx, stop := context.WithCancel(ctx)
	l := &load{conns: make([]connLoad, len(signs)), stop: stop}
	for c := range signs {
		l.conns[c].Sign = signs[c]
		l.done.Add(1)
		go func() {
			defer l.done.Done()
			l.conns[c].run(ctx, addr, tag, c)
		}()
	}
	return l
}

// wait returns each connection's counts once every connection has ended.
func (l *load) wait() []connLoad {
	l.done.Wait()
	l.stop()
	return l.conns
}

func (s *connLoad) run(ctx context.Context, addr, tag string, c int) {
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		s.err = err
		return
	}
	defer conn.Close()
	stopped := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopped()

	br := bufio.NewReader(conn)
	var req, body []byte
	for j := uint64(0); ; j++ {
		body = appendEventBody(body[:0], tag, c, j, prefix(c, s.Sign, j+1)-prefix(c, s.Sign, j))
		req = append(req[:0], "POST /event HTTP/1.1\r\nHost: crash\r\nContent-Type: application/json\r\nContent-Length: "...)
		req = strconv.AppendInt(req, int64(len(body)), 10)
		req = append(req, "\r\n\r\n"...)
		req = append(req, body...)

		// Counted as sent before the write: a write cut by the crash may still have
		// delivered the whole request.
		s.Sent++
		_ = conn.SetDeadline(time.Now().Add(answerTimeout))
		if _, err := conn.Write(req); err != nil {
			s.err = err
			return
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			s.err = err
			return
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			// Not acknowledged, and perhaps not counted: sending more would break
			// the prefix the check relies on, so the connection ends here.
			s.non200++
			s.err = fmt.Errorf("answer %s", resp.Status)
			return
		}
		if err != nil {
			s.err = err
			return
		}
		s.Acked++
	}
}

// appendEventBody appends {"userId":"crash_<tag>_<c>_<j>","value":<nanos * 1e-9>}.
func appendEventBody(dst []byte, tag string, c int, j uint64, nanos int64) []byte {
	dst = append(dst, `{"userId":"crash_`...)
	dst = append(dst, tag...)
	dst = append(dst, '_')
	dst = strconv.AppendInt(dst, int64(c), 10)
	dst = append(dst, '_')
	dst = strconv.AppendUint(dst, j, 10)
	dst = append(dst, `","value":`...)
	dst = appendNanos(dst, nanos)
	return append(dst, '}')
}
