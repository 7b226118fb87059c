package main

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"

	"github.com/onemrc/onemrc/benchmarks/peers/internal/apitest"
)

// newTestServer serves a fresh tally on a real loopback listener.
func newTestServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &fasthttp.Server{Handler: handler(newTally())}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		require.NoError(t, srv.Shutdown())
		require.NoError(t, <-done)
	})
	return "http://" + ln.Addr().String()
}

func TestCountsExactly(t *testing.T) { apitest.RunCounts(t, newTestServer) }

func TestRejectsWithoutCounting(t *testing.T) { apitest.RunRejects(t, newTestServer) }
