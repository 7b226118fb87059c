//go:build !race

package route

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/onemrc/onemrc/httpparse"
)

func TestLookupAllocatesNothing(t *testing.T) {
	table := Default()
	path := []byte("/stats")
	allocs := testing.AllocsPerRun(1000, func() {
		if h, _ := table.Lookup(httpparse.MethodGet, path); h != Stats {
			t.Fatal("wrong handler")
		}
	})
	assert.Zero(t, allocs)
}
