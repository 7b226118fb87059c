package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"time"
)

// probeReport is what the serial probe saw: one keep-alive connection asking GET /health,
// one request at a time, beside the load. A loop that stalls (a pause, a blocking
// write, a long batch) shows in its worst answer times, which the load's own latencies
// (queued behind thousands of pipelined requests) hide.
type probeReport struct {
	Requests int   `json:"requests"`
	Errors   int   `json:"errors"`
	P50Ns    int64 `json:"p50Ns"`
	P99Ns    int64 `json:"p99Ns"`
	MaxNs    int64 `json:"maxNs"`
}

// runProbe asks GET /health on one connection every interval until ctx ends.
func runProbe(ctx context.Context, addr string, interval time.Duration) probeReport {
	var r probeReport
	var lat []int64
	var c net.Conn
	var br *bufio.Reader
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if c != nil {
				c.Close()
			}
			slices.Sort(lat)
			if n := len(lat); n > 0 {
				r.P50Ns, r.P99Ns, r.MaxNs = lat[n/2], lat[min(n-1, n*99/100)], lat[n-1]
			}
			return r
		case <-t.C:
		}
		if c == nil {
			var err error
			if c, err = net.DialTimeout("tcp", addr, time.Second); err != nil {
				r.Errors++
				continue
			}
			br = bufio.NewReader(c)
		}
		start := time.Now()
		_ = c.SetDeadline(start.Add(5 * time.Second))
		_, err := io.WriteString(c, "GET /health HTTP/1.1\r\nHost: probe\r\n\r\n")
		var resp *http.Response
		if err == nil {
			resp, err = http.ReadResponse(br, nil)
		}
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		r.Requests++
		if err != nil || resp.StatusCode != http.StatusOK {
			r.Errors++
			c.Close()
			c = nil
			continue
		}
		lat = append(lat, int64(time.Since(start)))
	}
}

func (p *probeReport) String() string {
	return fmt.Sprintf("%d GET /health one at a time: p50 %s  p99 %s  max %s  (%d errors)",
		p.Requests, ms(p.P50Ns), ms(p.P99Ns), ms(p.MaxNs), p.Errors)
}
