package httpparse

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The catalogue holds every sentinel once, at the position its Code reports.
func TestErrorCatalogue(t *testing.T) {
	require.ElementsMatch(t, append(allErrors, ErrTooManyChunks), Errors[:])
	for i, e := range Errors {
		assert.Equal(t, i, e.Code(), e.Reason)
	}
	assert.Equal(t, len(Errors), (&Error{Status: 400, Reason: "made elsewhere"}).Code())
}
