//go:build linux

package loop

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// probeHandler finds the read pauser of the first connection on a real gnet engine.
type probeHandler struct {
	gnet.BuiltinEventEngine
	found chan error
	eng   chan gnet.Engine
}

func (h *probeHandler) OnBoot(e gnet.Engine) gnet.Action {
	h.eng <- e
	return gnet.None
}

func (h *probeHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	r, err := newReadPauser(c)
	if err == nil {
		err = r.pause(c)
	}
	h.found <- err
	return nil, gnet.Close
}

// The gnet this module builds with keeps each loop's epoll descriptor where
// pause_linux.go looks for it, registers connections by descriptor, and accepts the
// EPOLLOUT-only registration. A gnet upgrade that changes any of it fails here.
func TestReadPauserFindsGnetsPoller(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	h := &probeHandler{found: make(chan error, 1), eng: make(chan gnet.Engine, 1)}
	ran := make(chan error, 1)
	go func() { ran <- gnet.Run(h, "tcp://"+addr, gnet.WithMulticore(true), gnet.WithNumEventLoop(2)) }()
	var eng gnet.Engine
	select {
	case eng = <-h.eng:
	case err := <-ran:
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		assert.NoError(t, eng.Stop(ctx))
	}()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	defer c.Close()
	select {
	case err := <-h.found:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("no connection opened")
	}
}
