//go:build !linux

package loop

import (
	"errors"

	"github.com/panjf2000/gnet/v2"
)

// newReadPauser: pausing reads is built for Linux's epoll only (pause_linux.go). Elsewhere
// a connection is read on while answers are queued for it, and closed once they pass
// MaxPendingOutput; a client that half-closes may then lose answers still queued.
func newReadPauser(gnet.Conn) (readPauser, error) {
	return nil, errors.New("loop: pausing reads is only built for Linux")
}
