package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// noreadClients is how many clients pipeline without reading (-noread-clients).
var noreadClients = 100

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
		Name:  "noread",
		About: fmt.Sprintf("%d clients pipeline POST /event as fast as they can and never read; the daemon must close each once its queued output passes -max-pending-output", noreadClients),
		Attack: func(ctx context.Context, addr string) outcome {
			results := make([]floodResult, noreadClients)
			var wg sync.WaitGroup
			for i := range noreadClients {
				wg.Go(func() { results[i] = pipelineNoRead(ctx, addr, noreadBatch(i)) })
			}
			wg.Wait()
			o := summarizeNoRead(results)
			return o
		},
	}
}

// pipelineNoRead writes batch again and again and never reads, until a write fails
// (the daemon closed or reset the connection) or ctx ends.
func pipelineNoRead(ctx context.Context, addr string, batch []byte) floodResult {
	var r floodResult
	c, err := dial(ctx, addr)
	if err != nil {
		r.DialErr = err
		return r
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetWriteDeadline(dl)
	}
	start := time.Now()
	for err == nil {
		var n int
		n, err = c.Write(batch)
		r.Sent += int64(n)
	}
	r.WriteEnded = err
	if closedByPeer(err) {
		r.ClosedBy, r.ClosedIn = true, time.Since(start)
	}
	return r
}

func summarizeNoRead(results []floodResult) outcome {
	var o outcome
	var sent []int64
	var closedIn []time.Duration
	closed, dialErrs := 0, 0
	firstDialErr := ""
	ends := map[string]int{}
	for _, r := range results {
		if r.DialErr != nil {
			if dialErrs == 0 {
				firstDialErr = r.DialErr.Error()
			}
			dialErrs++
			continue
		}
		sent = append(sent, r.Sent)
		ends[errText(r.WriteEnded)]++
		if r.ClosedBy {
			closed++
			closedIn = append(closedIn, r.ClosedIn)
		}
	}
	n := len(results) - dialErrs
	o.addf("clients: %d (%d failed to connect)", len(results), dialErrs)
	o.addf("writing ended with: %s", countText(ends, func(s string) string { return s }))
	o.addf("closed by the daemon: %d/%d, after median %s, max %s",
		closed, n, ms(percentile(closedIn, 50)), ms(percentile(closedIn, 100)))
	o.addf("bytes sent before the close: median %s MiB, max %s MiB",
		mib(percentile(sent, 50)), mib(percentile(sent, 100)))
	if dialErrs > 0 {
		o.problemf("%d clients could not connect (first: %s)", dialErrs, firstDialErr)
	}
	if closed != n {
		o.problemf("%d of %d non-reading clients were never closed by the daemon", n-closed, n)
	}
	return o
}
