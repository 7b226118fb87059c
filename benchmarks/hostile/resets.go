package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"
)

const (
	resetConns = 1_000
	// halfRequest stops inside the body: the daemon holds a partial request.
	halfRequest = "POST /event HTTP/1.1\r\nHost: onemrc\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"userId\":"
)

func resetsScenario() scenario {
	return scenario{
		Name:  "resets",
		About: fmt.Sprintf("%d connections each send half a POST /event, wait 1 s, then reset (SO_LINGER 0); the daemon must release every socket", resetConns),
		Attack: func(ctx context.Context, addr string) outcome {
			var o outcome
			conns := make([]*net.TCPConn, resetConns)
			var failed atomic.Int64
			forEach(resetConns, 64, func(i int) {
				c, err := dial(ctx, addr)
				if err == nil {
					_, err = io.WriteString(c, halfRequest)
				}
				if err != nil {
					failed.Add(1)
					if c != nil {
						_ = c.Close()
					}
					return
				}
				conns[i] = c
			})
			o.addf("%d/%d connections sent half a request", resetConns-int(failed.Load()), resetConns)
			if failed.Load() > 0 {
				o.problemf("%d connections failed before the reset", failed.Load())
			}
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
			reset := 0
			for _, c := range conns {
				if c == nil {
					continue
				}
				// Linger 0: close sends RST instead of FIN (socket(7) SO_LINGER).
				if c.SetLinger(0) == nil && c.Close() == nil {
					reset++
				}
			}
			o.addf("%d connections reset", reset)
			return o
		},
	}
}
