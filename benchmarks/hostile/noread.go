package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The noread crowds (-noread-clients, -noread-for): clients that pipeline POST /event
// and never read an answer.
var (
	noreadClients = 100
	noreadFor     = 10 * time.Second
)

// pausedAfter is how long a non-reader's last write must have been blocked, at the end
// of the attack, for it to count as paused rather than still being read.
const pausedAfter = time.Second

// noreadBatch is 64 pipelined POST /event requests, written with one Write.
func noreadBatch(client int) []byte {
	var b strings.Builder
	for i := range 64 {
		body := fmt.Sprintf(`{"userId":"noread_%d","value":%d}`, client, i)
		fmt.Fprintf(&b, "POST /event HTTP/1.1\r\nHost: onemrc\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
	return []byte(b.String())
}

func noreadScenario() scenario {
	return scenario{
		Name: "noread",
		About: fmt.Sprintf("%d clients (kernel-default socket buffers) pipeline POST /event as fast as they can for %v and never read; the server must stop reading them (their writes block) or close them",
			noreadClients, noreadFor),
		Nginx: true,
		Attack: func(ctx context.Context, addr string) outcome {
			return noreadAttack(ctx, addr, noreadClients, sockOpts{})
		},
	}
}

// noreadResult is what one non-reading client saw.
type noreadResult struct {
	DialErr    error
	Sent       int64         // bytes the kernel accepted from us
	WriteEnded error         // why writing stopped: our deadline, or the server's close
	ClosedIn   time.Duration // from the first write to the server's close; 0 if not closed
	BlockedFor time.Duration // at our deadline: time since the last write completed
}

// sockOpts are the socket options a non-reader sets before connect; 0 leaves one to
// the kernel. Set after the handshake, a receive window below one segment can stall
// loopback TCP, and the MSS is what the SYN announces.
type sockOpts struct {
	RcvBuf, SndBuf int // SO_RCVBUF, SO_SNDBUF (the kernel doubles them)
	MSS            int // TCP_MAXSEG: the largest segment the server may send us
}

func (o sockOpts) dialer() *net.Dialer {
	d := &net.Dialer{Timeout: dialTimeout}
	if o == (sockOpts{}) {
		return d
	}
	d.Control = func(_, _ string, rc syscall.RawConn) error {
		var err error
		set := func(fd uintptr, level, opt, v int) {
			if err == nil && v > 0 {
				err = syscall.SetsockoptInt(int(fd), level, opt, v)
			}
		}
		cerr := rc.Control(func(fd uintptr) {
			set(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, o.RcvBuf)
			set(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, o.SndBuf)
			set(fd, syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, o.MSS)
		})
		if cerr != nil {
			return cerr
		}
		return err
	}
	return d
}

// noreadAttack connects n clients (64 dials at a time), then lets all of them write
// pipelined batches at once until the server closes them or noreadFor has passed.
func noreadAttack(ctx context.Context, addr string, n int, opts sockOpts) outcome {
	results := make([]noreadResult, n)
	conns := make([]net.Conn, n)
	dialer := opts.dialer()
	dialStart := time.Now()
	forEach(n, 64, func(i int) {
		conns[i], results[i].DialErr = dialer.DialContext(ctx, "tcp", addr)
	})
	dialTook := time.Since(dialStart)
	end := time.Now().Add(noreadFor)
	if dl, ok := ctx.Deadline(); ok && dl.Before(end) {
		end = dl
	}
	var wg sync.WaitGroup
	for i, c := range conns {
		if c == nil {
			continue
		}
		wg.Go(func() { pipelineNoRead(ctx, c, noreadBatch(i), end, &results[i]) })
	}
	wg.Wait()
	o := summarizeNoRead(results, noreadFor)
	o.Lines = append([]string{fmt.Sprintf("%d clients connected in %s, then wrote for up to %v", n, ms(dialTook), noreadFor)}, o.Lines...)
	return o
}

// pipelineNoRead writes batch on c again and again and never reads, until a write
// fails (the server closed or reset the connection), end passes, or ctx ends.
func pipelineNoRead(ctx context.Context, c net.Conn, batch []byte, end time.Time, r *noreadResult) {
	defer c.Close()
	_ = c.SetWriteDeadline(end)
	stop := context.AfterFunc(ctx, func() { _ = c.SetWriteDeadline(time.Now()) })
	defer stop()
	start := time.Now()
	last := start
	var err error
	for err == nil {
		var n int
		n, err = c.Write(batch)
		r.Sent += int64(n)
		if err == nil {
			last = time.Now()
		}
	}
	r.WriteEnded = err
	if closedByPeer(err) {
		r.ClosedIn = max(time.Since(start), time.Nanosecond)
		return
	}
	r.BlockedFor = time.Since(last)
}

// noreadKind sorts a non-reader's end: closed by the server, paused (its writes blocked
// for pausedAfter or more), or still being read when the attack stopped.
func noreadKind(r noreadResult) string {
	switch {
	case r.DialErr != nil:
		return "no connection"
	case r.ClosedIn > 0:
		return "closed"
	case r.BlockedFor >= pausedAfter:
		return "paused"
	}
	return "still read"
}

func summarizeNoRead(results []noreadResult, writeFor time.Duration) outcome {
	var o outcome
	kinds := map[string]int{}
	var sent []int64
	var closedIn, blocked []time.Duration
	ends := map[string]int{}
	firstDialErr := ""
	for _, r := range results {
		k := noreadKind(r)
		kinds[k]++
		switch k {
		case "no connection":
			if firstDialErr == "" {
				firstDialErr = r.DialErr.Error()
			}
			continue
		case "closed":
			closedIn = append(closedIn, r.ClosedIn)
		case "paused":
			blocked = append(blocked, r.BlockedFor)
		}
		sent = append(sent, r.Sent)
		ends[errText(r.WriteEnded)]++
	}
	o.figuref("non-readers paused (writes blocked >= 1 s at the end) / closed / still read", "%d / %d / %d",
		kinds["paused"], kinds["closed"], kinds["still read"])
	o.figuref("bytes sent per non-reader, median / max", "%s / %s KiB", kib(percentile(sent, 50)), kib(percentile(sent, 100)))
	o.addf("writing ended with: %s", countText(ends, func(s string) string { return s }))
	if len(closedIn) > 0 {
		o.addf("closed by the server: %d, after median %s, max %s", len(closedIn), ms(percentile(closedIn, 50)), ms(percentile(closedIn, 100)))
	}
	if len(blocked) > 0 {
		o.addf("paused: %d, their last write blocked for median %s, min %s (of %v)", len(blocked), ms(percentile(blocked, 50)), ms(percentile(blocked, 0)), writeFor)
	}
	if n := kinds["no connection"]; n > 0 {
		o.problemf("%d clients could not connect (first: %s)", n, firstDialErr)
	}
	if n := kinds["still read"]; n > 0 {
		// Not a failure by itself: the server may still be writing answers into a kernel
		// send buffer that has room (on loopback it grows to net.ipv4.tcp_wmem's maximum).
		o.addf("still read at the end (a write completed in the last %v): %d", pausedAfter, n)
	}
	return o
}
