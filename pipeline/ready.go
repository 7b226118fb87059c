package pipeline

import "sync/atomic"

// Readiness is what GET /ready answers: 200 once the daemon serves (its restore and its
// cluster join are done) and until it starts to drain, 503 before and after, so that a
// load balancer sends traffic only while it is answered. /ready reads it with one atomic
// load. The zero value is starting (not ready).
type Readiness struct{ state atomic.Int32 }

const (
	readyStarting int32 = iota
	readyServing
	readyDraining
)

// SetReady makes /ready answer 200.
func (r *Readiness) SetReady() { r.state.Store(readyServing) }

// SetDraining makes /ready answer 503 for good: the daemon is stopping.
func (r *Readiness) SetDraining() { r.state.Store(readyDraining) }

// Ready reports whether /ready answers 200.
func (r *Readiness) Ready() bool { return r.state.Load() == readyServing }

// readyBodies are the bodies of /ready by state.
var readyBodies = [...][]byte{
	readyStarting: []byte(`{"status":"starting"}`),
	readyServing:  []byte(`{"status":"ready"}`),
	readyDraining: []byte(`{"status":"draining"}`),
}

// readyAnswer is the status and body of /ready given the daemon's readiness; a nil
// Readiness (a pipeline outside the daemon) is always ready.
func readyAnswer(r *Readiness) (int, []byte) {
	if r == nil {
		return 200, readyBodies[readyServing]
	}
	st := r.state.Load()
	if st == readyServing {
		return 200, readyBodies[st]
	}
	return 503, readyBodies[st]
}
