package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"
)

const (
	idleConns = 10_000
	idleHold  = 10 * time.Second
)

func connsScenario() scenario {
	return scenario{
		Name:  "conns",
		About: fmt.Sprintf("%d keep-alive connections each send one GET /health, read the answer and then sit idle for %v; then they all close", idleConns, idleHold),
		Attack: func(ctx context.Context, addr string) outcome {
			var o outcome
			conns := make([]net.Conn, idleConns)
			readers := make([]*bufio.Reader, idleConns)
			var failed atomic.Int64
			var firstErr atomic.Value
			start := time.Now()
			forEach(idleConns, 64, func(i int) {
				c, err := dial(ctx, addr)
				if err == nil {
					_ = c.SetDeadline(time.Now().Add(probeTimeout))
					readers[i] = bufio.NewReaderSize(c, 512)
					err = exchange(c, readers[i])
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					if c != nil {
						_ = c.Close()
					}
					return
				}
				_ = c.SetDeadline(time.Time{})
				conns[i] = c
			})
			opened := idleConns - int(failed.Load())
			o.addf("%d/%d connections opened and answered in %s", opened, idleConns, ms(time.Since(start)))
			if failed.Load() > 0 {
				o.problemf("%d connections failed; first error: %v", failed.Load(), firstErr.Load())
			}

			select {
			case <-time.After(idleHold):
			case <-ctx.Done():
			}

			// Still served after idling: one request on every 100th connection.
			checked, served := 0, 0
			for i := 0; i < idleConns; i += 100 {
				if conns[i] == nil {
					continue
				}
				checked++
				_ = conns[i].SetDeadline(time.Now().Add(probeTimeout))
				if exchange(conns[i], readers[i]) == nil {
					served++
				}
			}
			o.addf("after %v idle, %d/%d sampled connections still answered", idleHold, served, checked)
			if served < checked {
				o.problemf("%d idle connections were no longer served", checked-served)
			}
			for _, c := range conns {
				if c != nil {
					_ = c.Close()
				}
			}
			return o
		},
	}
}

// exchange sends GET /health on c and reads a 200 answer through br.
func exchange(c net.Conn, br *bufio.Reader) error {
	if _, err := io.WriteString(c, healthRequest); err != nil {
		return err
	}
	status, _, err := readResponse(br)
	if err == nil && status != 200 {
		err = fmt.Errorf("status %d", status)
	}
	return err
}
