//go:build !race

package loadgen

import (
	"testing"

	"github.com/onemrc/onemrc/benchmarks/internal/hist"
	"github.com/stretchr/testify/require"
)

func TestHotPathAllocatesNothing(t *testing.T) {
	r := &run{enc: NewEncoder("127.0.0.1:8080", 75_000, true), n: 1 << 40, perRequest: 1}
	s := &session{r: r, sentAt: make([]int64, 16), events: make([]uint32, 16), wbuf: make([]byte, 0, 4096), hist: hist.New(LatencyHighest)}
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

func TestBatchHotPathAllocatesNothing(t *testing.T) {
	r := &run{enc: NewEncoder("127.0.0.1:8080", 75_000, false), n: 1 << 40, perRequest: 100,
		cfg: Config{Batch: 100}}
	s := &session{r: r, sentAt: make([]int64, 2), events: make([]uint32, 2), wbuf: make([]byte, 0, 16384), hist: hist.New(LatencyHighest)}
	accepted := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"accepted\":100}"
	responses := []byte(accepted + accepted)
	allocs := testing.AllocsPerRun(200, func() {
		s.fill(1)
		used, err := s.consume(responses, 2)
		if err != nil || used != len(responses) {
			panic("responses not consumed")
		}
		s.wbuf = s.wbuf[:0]
	})
	require.Zero(t, allocs)
	require.Equal(t, 201*2*100, int(s.ok.Load()))
	require.Zero(t, s.non200.Load())
}
