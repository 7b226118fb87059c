package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// floodResult is what one flooding client saw.
type floodResult struct {
	DialErr    error
	Status     int           // status of the daemon's answer; 0 if none could be read
	ReadErr    error         // why reading ended after the answer (io.EOF: a clean close)
	Sent       int64         // bytes the kernel accepted from us
	ClosedBy   bool          // the daemon closed or reset the connection
	ClosedIn   time.Duration // from connect to the first sign of that close
	WriteEnded error         // why writing stopped (nil: the byte budget ran out)
}

// flood connects to addr, writes head, then writes unit again and again until the
// daemon closes the connection, budget bytes were sent, or ctx ends. A reader
// collects the daemon's answer meanwhile, as a real client would.
func flood(ctx context.Context, addr string, head, unit []byte, budget int64) floodResult {
	var r floodResult
	c, err := dial(ctx, addr)
	if err != nil {
		r.DialErr = err
		return r
	}
	defer c.Close()
	start := time.Now()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}

	var (
		mu       sync.Mutex
		closedAt time.Duration // first sign of the daemon's close, 0 until then
	)
	markClosed := func() {
		mu.Lock()
		if closedAt == 0 {
			closedAt = time.Since(start)
		}
		mu.Unlock()
	}
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		br := bufio.NewReader(c)
		status, _, err := readResponse(br)
		r.Status = status
		if err == nil {
			_, err = io.Copy(io.Discard, br)
			if err == nil {
				err = io.EOF // io.Copy reports a clean end as nil
			}
		}
		r.ReadErr = err
		if closedByPeer(err) {
			markClosed()
		}
		// Wake the writer: the answer has come, nothing more will be read.
		_ = c.SetWriteDeadline(time.Now())
	}()

	_, err = c.Write(head)
	r.Sent = int64(len(head))
	for err == nil && r.Sent < budget {
		var n int
		n, err = c.Write(unit)
		r.Sent += int64(n)
	}
	r.WriteEnded = err
	if closedByPeer(err) {
		markClosed()
	}
	// Give the reader a moment to see the answer or the close, then stop it.
	select {
	case <-readDone:
	case <-time.After(5 * time.Second):
		_ = c.SetReadDeadline(time.Now())
		<-readDone
	}
	r.ClosedBy = closedAt > 0
	r.ClosedIn = closedAt
	return r
}

// floodFor is how long the flooding scenarios keep their clients at it: each
// client connects again as soon as the daemon closed it.
const floodFor = 10 * time.Second

// floodMany keeps n flood clients running at once for floodFor and summarises them
// against the status the daemon must answer.
func floodMany(ctx context.Context, addr string, n int, head, unit []byte, budget int64, wantStatus int) outcome {
	var (
		mu      sync.Mutex
		results []floodResult
		wg      sync.WaitGroup
	)
	end := time.Now().Add(floodFor)
	for range n {
		wg.Go(func() {
			for time.Now().Before(end) && ctx.Err() == nil {
				r := flood(ctx, addr, head, unit, budget)
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
				if r.DialErr != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	o := summarizeFloods(results, wantStatus)
	o.Lines = append([]string{fmt.Sprintf("%d clients at once for %v, reconnecting after each close: %d attempts", n, floodFor, len(results))}, o.Lines...)
	return o
}

func summarizeFloods(results []floodResult, wantStatus int) outcome {
	var o outcome
	statuses := map[int]int{}
	var sent []int64
	var closedIn []time.Duration
	closed, dialErrs := 0, 0
	firstDialErr := ""
	readEnds := map[string]int{}
	for _, r := range results {
		if r.DialErr != nil {
			if dialErrs == 0 {
				firstDialErr = r.DialErr.Error()
			}
			dialErrs++
			continue
		}
		statuses[r.Status]++
		sent = append(sent, r.Sent)
		if r.ClosedBy {
			closed++
			closedIn = append(closedIn, r.ClosedIn)
		}
		readEnds[errText(r.ReadErr)]++
	}
	n := len(results)
	if dialErrs > 0 {
		o.addf("%d attempts failed to connect", dialErrs)
	}
	o.addf("answers: %s", countText(statuses, func(s int) string {
		if s == 0 {
			return "none readable"
		}
		return fmt.Sprint(s)
	}))
	o.addf("reading ended with: %s", countText(readEnds, func(s string) string { return s }))
	o.addf("closed by the daemon: %d/%d, after median %s, max %s",
		closed, n-dialErrs, ms(percentile(closedIn, 50)), ms(percentile(closedIn, 100)))
	o.addf("bytes sent before the close: median %s KiB, max %s KiB",
		kib(percentile(sent, 50)), kib(percentile(sent, 100)))
	if dialErrs > 0 {
		o.problemf("%d attempts could not connect (first: %s)", dialErrs, firstDialErr)
	}
	if statuses[wantStatus] != n-dialErrs {
		o.problemf("%d of %d attempts did not read a %d", n-dialErrs-statuses[wantStatus], n-dialErrs, wantStatus)
	}
	if closed != n-dialErrs {
		o.problemf("%d of %d connections were not closed by the daemon", n-dialErrs-closed, n-dialErrs)
	}
	return o
}

// errText names an error class for the report.
func errText(err error) string {
	switch {
	case err == nil:
		return "no error"
	case errors.Is(err, io.EOF):
		return "EOF (clean close)"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "our deadline"
	case closedByPeer(err):
		return "connection reset"
	}
	return err.Error()
}

// countText writes "413 x100, none readable x3" in key order.
func countText[K int | string](m map[K]int, name func(K) string) string {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s x%d", name(k), m[k]))
	}
	return strings.Join(parts, ", ")
}

func kib(b int64) string { return fmt.Sprintf("%.1f", float64(b)/1024) }

// The flooding scenarios: 100 clients each.
const floodClients = 100

func chunkedScenario() scenario {
	head := []byte("POST /event HTTP/1.1\r\nHost: onemrc\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
	// One 1 KiB chunk (RFC 9112 §7.1: chunk-size in hex, CRLF, data, CRLF), forever.
	unit := []byte("400\r\n" + strings.Repeat("a", 1024) + "\r\n")
	return scenario{
		Name:  "chunked",
		About: fmt.Sprintf("%d clients at a time, for %v, each send a chunked POST /event body of 1 KiB chunks without end; the daemon must answer 413 once the body passes -max-body and close", floodClients, floodFor),
		Attack: func(ctx context.Context, addr string) outcome {
			return floodMany(ctx, addr, floodClients, head, unit, 1<<40, 413)
		},
	}
}

func headersScenario() scenario {
	head := []byte("POST /event HTTP/1.1\r\nHost: onemrc\r\n")
	// A 1 KiB header field line, repeated up to 100 MB.
	unit := []byte("X-Filler: " + strings.Repeat("a", 1024-len("X-Filler: \r\n")) + "\r\n")
	return scenario{
		Name:  "headers",
		About: fmt.Sprintf("%d clients at a time, for %v, each send up to 100 MB of header fields (one 1 KiB field repeated); the daemon must answer 431 past -max-header-bytes and close", floodClients, floodFor),
		Attack: func(ctx context.Context, addr string) outcome {
			return floodMany(ctx, addr, floodClients, head, unit, 100_000_000, 431)
		},
	}
}
