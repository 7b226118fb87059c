package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// cannedServer is a gnet server that answers every complete request with
// 200 and an empty body: the cheapest possible daemon, so a benchmark of the
// drivers measures the client.
type cannedServer struct {
	gnet.BuiltinEventEngine
	addr     chan string
	requests atomic.Int64
}

func (s *cannedServer) OnBoot(eng gnet.Engine) gnet.Action { return gnet.None }

func (s *cannedServer) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Peek(-1)
	var out [64 * 38]byte
	resp := out[:0]
	used, answered := 0, int64(0)
	for {
		rest := buf[used:]
		end := bytes.Index(rest, []byte("\r\n\r\n"))
		if end < 0 {
			break
		}
		cl := bytes.Index(rest[:end], []byte("Content-Length: "))
		if cl < 0 {
			return gnet.Close
		}
		length := 0
		for _, d := range rest[cl+len("Content-Length: "):] {
			if d < '0' || d > '9' {
				break
			}
			length = length*10 + int(d-'0')
		}
		if len(rest) < end+4+length {
			break
		}
		used += end + 4 + length
		answered++
		resp = append(resp, okResponse...)
	}
	if used > 0 {
		_, _ = c.Discard(used)
		s.requests.Add(answered)
		_, _ = c.Write(resp)
	}
	return gnet.None
}

func startCannedServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	s := &cannedServer{}
	go func() {
		_ = gnet.Run(s, "tcp://"+addr, gnet.WithMulticore(true), gnet.WithLogger(silentLogger{}))
	}()
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = gnet.Stop(ctx, "tcp://"+addr)
	})
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			return addr
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatal("canned server did not start")
	return ""
}

// BenchmarkDriver measures the client: b.N requests over 1,000 connections
// against the canned server sharing the machine, as the real daemon will.
// (It chose gnet over a goroutine per connection; see the package doc.)
func BenchmarkDriver(b *testing.B) {
	addr := startCannedServer(b)
	for _, pipeline := range []int{1, 16} {
		b.Run(fmt.Sprintf("p=%d", pipeline), func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU()
			res, err := Run(context.Background(), Config{
				Addr: addr, Requests: b.N, Conns: 1000, Users: 75_000,
				Pipeline: pipeline,
			})
			if err != nil || res.OK != uint64(b.N) {
				b.Fatalf("ok %d of %d: %v", res.OK, b.N, err)
			}
			b.ReportMetric(float64(b.N)/res.Elapsed.Seconds(), "req/s")
			// Client and canned server share this process: the server's
			// share is the same for every client, so differences are the
			// client's.
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N)/1e3, "cpu-µs/req")
		})
	}
}

// processCPU is this process's user+system CPU time in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
