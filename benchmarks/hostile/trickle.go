package main

import (
	"bufio"
	"context"
	"fmt"
	"sync"
	"time"
)

// The trickle scenarios (-trickle-conns, -trickle-bytes, -trickle-every, -rounds):
// slow clients that cost the server one read per byte. What they measure is the
// server's CPU time per trickled connection, beside nginx's.
var (
	trickleConns  = 20
	trickleBytes  = 8192
	trickleEvery  = time.Millisecond
	trickleRounds = 3
)

// trickleScenario completes sc (its name, description and daemon flags) into a trickle
// attack: -trickle-conns clients at once, client i writing the head request(i) gives at
// once and trickling the rest, against onemrcd and nginx alike, -rounds times.
func trickleScenario(sc scenario, request func(i int) (head, slow []byte)) scenario {
	sc.Nginx = true
	sc.Rounds = trickleRounds
	sc.Attack = func(ctx context.Context, addr string) outcome {
		return trickleMany(ctx, addr, trickleConns, request)
	}
	return sc
}

// trickleResult is what one trickling client saw.
type trickleResult struct {
	Err    error         // nil: the trickled request and a GET /health after it were answered 200
	Writes int           // one byte each
	Took   time.Duration // from the first trickled byte to the last
}

// trickle connects, writes head at once, then slow one byte per trickleEvery (a tick
// missed while this process waits for a CPU is skipped, not caught up: every write
// carries one byte), reads the answer, and asks GET /health on the same connection:
// its answer shows that the server found the end of the trickled request.
func trickle(ctx context.Context, addr string, head, slow []byte) trickleResult {
	var r trickleResult
	c, err := dial(ctx, addr)
	if err != nil {
		r.Err = err
		return r
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	if len(head) > 0 {
		if _, r.Err = c.Write(head); r.Err != nil {
			return r
		}
	}
	t := time.NewTicker(trickleEvery)
	defer t.Stop()
	start := time.Now()
	for i := range slow {
		select {
		case <-t.C:
		case <-ctx.Done():
			r.Err = ctx.Err()
			return r
		}
		if _, r.Err = c.Write(slow[i : i+1]); r.Err != nil {
			return r
		}
		r.Writes++
	}
	r.Took = time.Since(start)
	_ = c.SetReadDeadline(time.Now().Add(probeTimeout))
	br := bufio.NewReader(c)
	status, _, err := readResponse(br)
	switch {
	case err != nil:
		r.Err = fmt.Errorf("reading the answer to the trickled request: %w", err)
	case status != 200:
		r.Err = fmt.Errorf("trickled request answered %d", status)
	default:
		if err := exchange(c, br); err != nil {
			r.Err = fmt.Errorf("GET /health after the trickled request: %w", err)
		}
	}
	return r
}

// trickleMany runs n trickling clients at once; request(i) gives client i's head
// (written at once) and the bytes it trickles.
func trickleMany(ctx context.Context, addr string, n int, request func(i int) (head, slow []byte)) outcome {
	results := make([]trickleResult, n)
	var wg sync.WaitGroup
	for i := range n {
		head, slow := request(i)
		wg.Go(func() { results[i] = trickle(ctx, addr, head, slow) })
	}
	wg.Wait()
	o := summarizeTrickles(results)
	o.PerConn = n
	return o
}

func summarizeTrickles(results []trickleResult) outcome {
	var o outcome
	ok := 0
	var took []time.Duration
	var writes []int64
	errs := map[string]int{}
	for _, r := range results {
		writes = append(writes, int64(r.Writes))
		if r.Err != nil {
			errs[r.Err.Error()]++
			continue
		}
		ok++
		took = append(took, r.Took)
	}
	o.figuref("trickled connections answered 200, then 200 to a GET /health", "%d/%d", ok, len(results))
	o.figuref("one-byte writes per connection / trickle time, median", "%d / %.2f s", percentile(writes, 50), percentile(took, 50).Seconds())
	o.addf("trickle time per connection (ideal %v): median %s, max %s", time.Duration(percentile(writes, 50))*trickleEvery,
		ms(percentile(took, 50)), ms(percentile(took, 100)))
	if len(errs) > 0 {
		o.addf("failures: %s", countText(errs, func(s string) string { return s }))
		o.problemf("%d of %d trickled connections were not served", len(results)-ok, len(results))
	}
	return o
}
