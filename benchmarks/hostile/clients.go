package main

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"syscall"
	"time"
)

// dialTimeout bounds every connect of every scenario.
const dialTimeout = 5 * time.Second

func dial(ctx context.Context, addr string) (*net.TCPConn, error) {
	d := net.Dialer{Timeout: dialTimeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// forEach runs fn(i) for i in [0, n) on at most workers goroutines.
func forEach(n, workers int, fn func(i int)) {
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for {
				next.Lock()
				j := i
				i++
				next.Unlock()
				if j >= n {
					return
				}
				fn(j)
			}
		})
	}
	wg.Wait()
}

// closedByPeer reports whether err shows that the other end closed or reset the
// connection (as opposed to our own deadline or cancel).
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// percentile returns the p-th percentile (0..100) of xs, sorting xs.
func percentile[T int64 | time.Duration](xs []T, p int) T {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[min(len(xs)-1, len(xs)*p/100)]
}
