package loop

import "github.com/onemrc/onemrc/pipeline"

// Metrics is every loop's published counters, summed, and the server's connection counts.
type Metrics struct {
	pipeline.Metrics
	Open     int64 // connections open now
	Rejected int64 // connections refused by MaxConns
}

// Metrics merges the counters every loop has published (cold path, any goroutine).
func (s *Server) Metrics() Metrics {
	m := Metrics{Open: s.open.Load(), Rejected: s.rejected.Load()}
	s.mu.Lock()
	pipes := make([]*pipeline.Pipeline, len(s.order))
	for i, l := range s.order {
		pipes[i] = l.pipe
	}
	s.mu.Unlock()
	m.Metrics = pipeline.SumMetrics(pipes)
	return m
}
