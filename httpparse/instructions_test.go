package httpparse

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestParseLoop parses one captured request ONEMRC_PARSE_LOOPS times (none when unset):
// a fixed amount of parsing for an instruction counter, whose figure per parse is the
// difference of two runs over the difference of their counts, every other instruction of
// the process cancelling out. benchmarks/stages/README.md gives the command.
func TestParseLoop(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ONEMRC_PARSE_LOOPS"))
	name := os.Getenv("ONEMRC_PARSE_REQUEST")
	if n <= 0 || name == "" {
		t.Skip("set ONEMRC_PARSE_LOOPS and ONEMRC_PARSE_REQUEST (curl, goclient, ...)")
	}
	buf, err := os.ReadFile(filepath.Join("testdata", "requests", name+".http"))
	require.NoError(t, err)
	var req Request
	for range n {
		if _, err := Parse(buf, &req, Limits{}); err != nil {
			t.Fatal(err)
		}
	}
}
