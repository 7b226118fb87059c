// Command fasthttp is the fasthttp peer of the onemrc comparison: an
// idiomatic github.com/valyala/fasthttp server with the challenge's API
// (atomic counters, a sharded mutex map for users). See benchmarks/compare.
package main

import (
	"context"
	"flag"
	"log"
	"os/signal"
	"syscall"

	"github.com/valyala/fasthttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address host:port")
	flag.Parse()

	srv := &fasthttp.Server{
		Handler: handler(newTally()),
		Name:    "peer-fasthttp",
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown()
	}()
	if err := srv.ListenAndServe(*addr); err != nil {
		log.Fatal(err)
	}
}
