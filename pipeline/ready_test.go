package pipeline

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/onemrc/onemrc/store"
)

const getReady = "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n"

// /ready follows the Readiness it is given: 503 starting, 200 ready, 503 draining for
// good; without one it is always ready. The connection stays open in every state.
func TestReady(t *testing.T) {
	s := newSession(t)
	s.feed([]byte(getReady + "HEAD /ready HTTP/1.1\r\nHost: x\r\n\r\n"))
	rs := s.responses("GET", "HEAD")
	assert.Equal(t, 200, rs[0].StatusCode)
	assert.Equal(t, `{"status":"ready"}`, body(rs[0]))
	assert.Equal(t, 200, rs[1].StatusCode)
	assert.Empty(t, body(rs[1]))

	var r Readiness
	st := store.New(store.Options{})
	for _, step := range []struct {
		set    func()
		status int
		body   string
	}{
		{func() {}, 503, `{"status":"starting"}`},
		{r.SetReady, 200, `{"status":"ready"}`},
		{r.SetDraining, 503, `{"status":"draining"}`},
	} {
		step.set()
		s := &session{t: t, st: st, p: New(st, Config{Readiness: &r})}
		s.feed([]byte(getReady))
		rs := s.responses("GET")
		assert.Equal(t, step.status, rs[0].StatusCode)
		assert.Equal(t, "application/json", rs[0].Header.Get("Content-Type"))
		assert.Equal(t, step.body, body(rs[0]))
		assert.False(t, s.closed)
		assert.Equal(t, step.status == 200, r.Ready())
	}
}
