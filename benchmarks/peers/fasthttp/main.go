// Command fasthttp is the fasthttp peer of the onemrc comparison: an
// idiomatic github.com/valyala/fasthttp server with the challenge's API
// (atomic counters, a sharded mutex map for users). See benchmarks/compare.
package main

import (
	"log"

	"github.com/valyala/fasthttp"

	"github.com/onemrc/onemrc/benchmarks/peers/internal/peer"
)

func main() {
	addr := peer.Addr()
	srv := &fasthttp.Server{
		Handler: handler(newTally()),
		Name:    "peer-fasthttp",
	}
	peer.StopOnSignal(func() { _ = srv.Shutdown() })
	if err := srv.ListenAndServe(addr); err != nil {
		log.Fatal(err)
	}
}
