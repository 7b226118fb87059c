package main

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// loadFigures is what a load run achieved.
type loadFigures struct {
	OK, Failed int64
	Elapsed    time.Duration
	FirstErr   string
}

// rawLoad sends events 0..n-1 (event i from user_(i%users), value i%1000) over
// conns keep-alive connections, depth requests pipelined per write. It is the
// fallback when the challenge runner is missing or broken; the runner's event
// numbering is the same, so /stats must read the same either way.
func rawLoad(ctx context.Context, addr string, n, users int64, conns, depth int) loadFigures {
	var ok, failed atomic.Int64
	var firstErr sync.Once
	var f loadFigures
	start := time.Now()
	var wg sync.WaitGroup
	for k := range conns {
		wg.Go(func() {
			sent, err := loadConn(ctx, addr, int64(k), int64(conns), n, users, depth)
			ok.Add(sent)
			if err != nil {
				// Requests of this connection past the failure are not sent.
				left := (n - int64(k) + int64(conns) - 1) / int64(conns)
				failed.Add(left - sent)
				firstErr.Do(func() { f.FirstErr = err.Error() })
			}
		})
	}
	wg.Wait()
	f.OK, f.Failed, f.Elapsed = ok.Load(), failed.Load(), time.Since(start)
	return f
}

// loadConn sends events first, first+stride, ... below n on one connection and
// returns how many were answered 200.
func loadConn(ctx context.Context, addr string, first, stride, n, users int64, depth int) (int64, error) {
	c, err := dial(ctx, addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	br := bufio.NewReaderSize(c, 64<<10)
	var buf, body []byte
	var answered int64
	for i := first; i < n; {
		buf = buf[:0]
		batch := 0
		for ; batch < depth && i < n; i += stride {
			body = append(body[:0], `{"userId":"user_`...)
			body = strconv.AppendInt(body, i%users, 10)
			body = append(body, `","value":`...)
			body = strconv.AppendInt(body, i%1000, 10)
			body = append(body, '}')
			buf = append(buf, "POST /event HTTP/1.1\r\nHost: onemrc\r\nContent-Type: application/json\r\nContent-Length: "...)
			buf = strconv.AppendInt(buf, int64(len(body)), 10)
			buf = append(buf, "\r\n\r\n"...)
			buf = append(buf, body...)
			batch++
		}
		if _, err := c.Write(buf); err != nil {
			return answered, err
		}
		for range batch {
			status, _, err := readResponse(br)
			if err != nil {
				return answered, err
			}
			if status != 200 {
				return answered, fmt.Errorf("POST /event: status %d", status)
			}
			answered++
		}
	}
	return answered, nil
}
