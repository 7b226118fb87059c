package pipeline

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/store"
)

// A request trickled one byte per read reaches the parser only when a read can let it
// progress: a line end, or the last byte of a chunk's data. Every ParseFrom call that
// stops short records the buffered length in the connection's State, so a read that left
// the State unchanged did not parse.
func TestTrickleParsesOnlyWhenItCanProgress(t *testing.T) {
	ext := ";e=" + strings.Repeat("x", 2000)
	var b strings.Builder
	b.WriteString("POST /event HTTP/1.1\r\nHost: x\r\n")
	for range 20 {
		b.WriteString("X-Filler: " + strings.Repeat("v", 100) + "\r\n")
	}
	b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
	body := `{"userId":"user_1","value":2}`
	b.WriteString("10" + ext + "\r\n" + body[:16] + "\r\n")
	b.WriteString("d" + ext + "\r\n" + body[16:] + "\r\n0\r\n\r\n")
	in := b.String()

	st := store.New(store.Options{})
	p := New(st, Config{})
	var c Conn
	var read [1]byte // one buffer for every read, as gnet reuses its own: Serve must copy
	parsed := 0
	for i := range len(in) {
		before := c.parse
		read[0] = in[i]
		batch := p.Serve(&c, read[:])
		require.False(t, batch.Close, "closed at byte %d", i)
		if c.parse != before {
			parsed++
		}
	}
	assert.LessOrEqual(t, parsed, strings.Count(in, "\n")+2, "reads that parsed, of %d", len(in))
	require.True(t, strings.HasPrefix(string(p.Output()), "HTTP/1.1 200 "), "%q", p.Output())
	assert.Equal(t, uint64(1), st.Snapshot().TotalRequests)
}
