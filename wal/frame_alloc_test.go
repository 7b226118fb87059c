//go:build !race

package wal

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Framing a record allocates nothing once the buffer has room.
func TestBeginEndRecordAllocateNothing(t *testing.T) {
	buf := make([]byte, 0, 4096)
	payload := make([]byte, 200)
	allocs := testing.AllocsPerRun(1000, func() {
		b, start := BeginRecord(buf[:0])
		b = append(b, payload...)
		b = EndRecord(b, start)
		if len(b) != frameHeader+len(payload) {
			panic("bad frame")
		}
	})
	assert.Zero(t, allocs)
}
