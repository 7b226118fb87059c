//go:build !linux

package loop

import "github.com/panjf2000/gnet/v2"

// handOff needs Linux's TCP_INFO to know what gnet's last write sent; elsewhere a client
// that half-closes with answers still queued may lose them, as gnet alone would.
func (s *Server) handOff(gnet.Conn, *Conn) {}
