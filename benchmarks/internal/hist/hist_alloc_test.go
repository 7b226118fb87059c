//go:build !race

package hist

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRecordAllocatesNothing(t *testing.T) {
	h := New(60e9)
	v := int64(1)
	allocs := testing.AllocsPerRun(1000, func() {
		h.Record(v)
		v = v*3 + 7
		if v > 1e11 {
			v = 1
		}
	})
	require.Zero(t, allocs)
	require.Equal(t, uint64(1001), h.Count())
}
