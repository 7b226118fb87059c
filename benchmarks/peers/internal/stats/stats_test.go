package stats

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestZeroValueHasNoAverage(t *testing.T) {
	var c Counters
	assert.Equal(t, Stats{}, c.Snapshot())
}

func TestConcurrentAddsAreExact(t *testing.T) {
	var c Counters
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				c.Add(float64(i%1000)+0.5, i == 0 && w < 3)
			}
		})
	}
	wg.Wait()
	// 8 x (0.5 + 1.5 + ... + 999.5) = 8 x 500,000: every partial sum is exact.
	assert.Equal(t, Stats{TotalRequests: 8000, UniqueUsers: 3, Sum: 4_000_000, Avg: 500}, c.Snapshot())
}
