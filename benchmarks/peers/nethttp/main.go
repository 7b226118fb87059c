// Command nethttp is the net/http peer of the onemrc comparison: the
// challenge's API written the way its reference server is (encoding/json,
// atomic counters, users in a sync.Map). See benchmarks/compare.
package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"time"

	"github.com/onemrc/onemrc/benchmarks/peers/internal/peer"
)

func main() {
	srv := &http.Server{
		Addr:              peer.Addr(),
		Handler:           newHandler(&tally{}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	peer.StopOnSignal(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
