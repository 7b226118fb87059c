package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// resetcloseFor is how long the resetclose scenario runs (-resetclose-for).
var resetcloseFor = 20 * time.Second

const (
	resetAttackers = 4
	innocents      = 4
	innocentAsks   = 3 // requests per innocent connection
	// closeRequest asks for the answer and the close: the server writes its answer
	// into a connection the client has already reset.
	closeRequest = "GET /health HTTP/1.1\r\nHost: onemrc\r\nConnection: close\r\n\r\n"
)

func resetcloseScenario() scenario {
	return scenario{
		Name: "resetclose",
		About: fmt.Sprintf("for %v, %d attackers loop {connect, GET /health with Connection: close, reset at once (SO_LINGER 0)} while %d innocent clients loop {connect, %d keep-alive GET /health each read in full, close}; no innocent may lose an answer",
			resetcloseFor, resetAttackers, innocents, innocentAsks),
		Nginx: true,
		Attack: func(ctx context.Context, addr string) outcome {
			ctx, cancel := context.WithTimeout(ctx, resetcloseFor)
			defer cancel()
			var wg sync.WaitGroup
			attackers := make([]innocentTally, resetAttackers) // Conns: attacks made
			for i := range resetAttackers {
				wg.Go(func() { attackers[i] = resetLoop(ctx, addr) })
			}
			tallies := make([]innocentTally, innocents)
			for i := range innocents {
				wg.Go(func() { tallies[i] = innocentLoop(ctx, addr) })
			}
			wg.Wait()
			var t, a innocentTally
			for i := range tallies {
				t.merge(tallies[i])
			}
			for i := range attackers {
				a.merge(attackers[i])
			}
			return summarizeResetClose(t, a)
		},
	}
}

// resetLoop connects, asks closeRequest and resets the connection, until ctx ends. It
// counts the attacks made in Conns and the connects that failed in DialErrs.
func resetLoop(ctx context.Context, addr string) innocentTally {
	var t innocentTally
	for ctx.Err() == nil {
		c, err := dial(ctx, addr)
		if err != nil {
			if ctx.Err() != nil {
				break // the scenario's end cut the connect short
			}
			t.DialErrs++
			if t.FirstErr == "" {
				t.FirstErr = err.Error()
			}
			time.Sleep(time.Millisecond)
			continue
		}
		_, _ = io.WriteString(c, closeRequest)
		// Linger 0: close sends RST instead of FIN (socket(7) SO_LINGER).
		_ = c.SetLinger(0)
		_ = c.Close()
		t.Conns++
	}
	return t
}

// innocentTally counts what innocent clients saw.
type innocentTally struct {
	Conns    int            // connections that connected
	Failed   int            // of them, those that lost an answer
	DialErrs int            // connects that failed
	Kinds    map[string]int // failure: "EOF (clean close) before answer 2"
	FirstErr string
}

func (t *innocentTally) merge(o innocentTally) {
	t.Conns += o.Conns
	t.Failed += o.Failed
	t.DialErrs += o.DialErrs
	for k, n := range o.Kinds {
		t.fail(k, n)
	}
	if t.FirstErr == "" {
		t.FirstErr = o.FirstErr
	}
}

func (t *innocentTally) fail(kind string, n int) {
	if t.Kinds == nil {
		t.Kinds = map[string]int{}
	}
	t.Kinds[kind] += n
}

// innocentLoop opens keep-alive connections, asks innocentAsks GET /health on each and
// reads every answer, until ctx ends.
func innocentLoop(ctx context.Context, addr string) innocentTally {
	var t innocentTally
	for ctx.Err() == nil {
		c, err := net.DialTimeout("tcp", addr, dialTimeout)
		if err != nil {
			t.DialErrs++
			if t.FirstErr == "" {
				t.FirstErr = err.Error()
			}
			time.Sleep(time.Millisecond)
			continue
		}
		t.Conns++
		_ = c.SetDeadline(time.Now().Add(probeTimeout))
		br := bufio.NewReaderSize(c, 1024)
		for i := 1; i <= innocentAsks; i++ {
			if err := exchange(c, br); err != nil {
				t.Failed++
				t.fail(fmt.Sprintf("%s before answer %d", errText(err), i), 1)
				if t.FirstErr == "" {
					t.FirstErr = err.Error()
				}
				break
			}
		}
		_ = c.Close()
	}
	return t
}

// summarizeResetClose reports the innocents' tally t beside the attackers' a.
func summarizeResetClose(t, a innocentTally) outcome {
	var o outcome
	o.figuref("attacks (request, then RST)", "%d", a.Conns)
	o.figuref("innocent connections", "%d", t.Conns)
	o.figuref("innocent connections that lost an answer", "%d", t.Failed)
	rate := 0.0
	if t.Conns > 0 {
		rate = float64(t.Failed) / float64(t.Conns) * 1000
	}
	o.figuref("lost per 1,000 innocent connections", "%.2f", rate)
	if t.Failed > 0 {
		o.addf("innocent failures: %s; first: %s", countText(t.Kinds, func(s string) string { return s }), t.FirstErr)
		o.problemf("%d of %d innocent connections lost an answer", t.Failed, t.Conns)
	}
	if a.DialErrs > 0 {
		o.addf("attackers' failed connects: %d; first: %s", a.DialErrs, a.FirstErr)
	}
	if t.DialErrs > 0 {
		o.problemf("%d innocent connects failed; first: %s", t.DialErrs, t.FirstErr)
	}
	if t.Conns == 0 {
		o.problemf("no innocent client connected")
	}
	return o
}
