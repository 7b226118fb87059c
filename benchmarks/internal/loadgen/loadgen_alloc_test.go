//go:build !race

package loadgen

import (
	"testing"

	"github.com/onemrc/onemrc/benchmarks/internal/hist"
	"github.com/stretchr/testify/require"
)

func TestHotPathAllocatesNothing(t *testing.T) {
	r := &run{enc: NewEncoder("127.0.0.1:8080", 75_000, true), n: 1 << 40}
	s := &session{r: r, sentAt: make([]int64, 16), wbuf: make([]byte, 0, 4096), hist: hist.New(LatencyHighest)}
	responses := []byte{}
	for range 16 {
		responses = append(responses, okResponse...)
	}
	allocs := testing.AllocsPerRun(200, func() {
		s.fill(1)
		if s.inflight != 16 {
			panic("pipeline not filled")
		}
		used, err := s.consume(responses, 2)
		if err != nil || used != len(responses) {
			panic("responses not consumed")
		}
		s.wbuf = s.wbuf[:0]
	})
	require.Zero(t, allocs)
	require.Equal(t, 201*16, int(s.ok.Load()))
}
