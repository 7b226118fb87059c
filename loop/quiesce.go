package loop

import (
	"context"
	"errors"

	"github.com/panjf2000/gnet/v2"
)

// ErrNotQuiesced means Quiesce could not pause every loop (the engine is stopping, or ctx
// ended first); fn did not run.
var ErrNotQuiesced = errors.New("loop: could not pause every loop")

// Quiesce runs fn while every loop is paused between batches, so that no shard records
// or publishes while fn reads the store: a consistent cut for a checkpoint. Each loop runs
// a task (through EventLoop.Execute) that parks it until fn returns; a loop is never
// paused in the middle of a batch, and every batch publishes before it ends. A loop that
// has no pipeline yet waits in OnOpen until the cut is taken, so no new shard appears
// during fn. The pause lasts as long as fn: keep fn to copying.
func (s *Server) Quiesce(ctx context.Context, fn func()) error {
	s.mu.Lock()
	if s.frozen {
		s.mu.Unlock()
		return errors.New("loop: Quiesce is already running")
	}
	s.frozen = true
	pipes := append([]*Pipeline(nil), s.order...)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.frozen = false
		s.thaw.Broadcast()
		s.mu.Unlock()
	}()

	release := make(chan struct{})
	defer close(release)
	parked := make(chan struct{}, len(pipes))
	park := gnet.RunnableFunc(func(context.Context) error {
		parked <- struct{}{}
		<-release
		return nil
	})
	for _, p := range pipes {
		if err := p.el.Execute(ctx, park); err != nil {
			return ErrNotQuiesced
		}
	}
	for range pipes {
		select {
		case <-parked:
		case <-ctx.Done():
			return ErrNotQuiesced
		}
	}
	fn()
	return nil
}

// waitThaw blocks while a Quiesce is taking its cut. Called with s.mu held, only by a
// loop that has no pipeline yet (and so is not one Quiesce waits for).
func (s *Server) waitThaw() {
	for s.frozen {
		s.thaw.Wait()
	}
}
