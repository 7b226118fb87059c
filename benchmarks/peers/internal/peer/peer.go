// Package peer holds what every peer's main does alike, so that the harness starts
// and stops them all the same way: the one flag, -addr, and a graceful stop on Ctrl-C
// or SIGTERM.
package peer

import (
	"context"
	"flag"
	"os/signal"
	"syscall"
)

// Addr parses the command line and returns -addr, where the peer listens.
func Addr() string {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address host:port")
	flag.Parse()
	return *addr
}

// StopOnSignal calls shutdown once, in its own goroutine, when SIGINT or SIGTERM
// arrives: the server's serve call then returns and main ends.
func StopOnSignal(shutdown func()) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	go func() {
		defer stop()
		<-ctx.Done()
		shutdown()
	}()
}
