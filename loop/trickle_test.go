package loop

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/store"
)

// A request trickled one byte per read reaches the parser only when a read can let it
// progress: a line end, or the last byte of a chunk's data. Every ParseFrom call that
// stops short records the buffered length in the connection's State, so a read that left
// the State unchanged did not parse.
func TestTrickleParsesOnlyWhenItCanProgress(t *testing.T) {
	coarseNow.Add(int64(time.Second)) // a zero clock would read as "no request in progress"
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

	s := newFakeServer(store.New(store.Options{}), Config{})
	c := newFakeConn(&fakeLoop{})
	require.True(t, c.open(s))
	cs := c.Context().(*Conn)
	parsed := 0
	for i := range len(in) {
		before := cs.parse
		require.True(t, c.deliver(s, []byte{in[i]}), "closed at byte %d", i)
		if cs.parse != before {
			parsed++
		}
	}
	assert.LessOrEqual(t, parsed, strings.Count(in, "\n")+2, "reads that parsed, of %d", len(in))
	require.True(t, strings.HasPrefix(string(c.out), "HTTP/1.1 200 "), "%q", c.out)
	assert.Equal(t, uint64(1), s.Store().Snapshot().TotalRequests)
	c.finish(s)
}
