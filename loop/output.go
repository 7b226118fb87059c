package loop

import "github.com/panjf2000/gnet/v2"

// write hands b to gnet for c. gnet writes straight to the socket and queues what the
// socket does not take; when something stays queued, the connection keeps its own copy of
// exactly the queued bytes (the mirror), because gnet offers no way to read its queue back
// and a client that half-closes would otherwise lose them (see handOff). With nothing
// queued, which is the steady state, this costs two length reads.
func (c *Conn) write(gc gnet.Conn, b []byte) {
	before := gc.OutboundBuffered()
	_, _ = gc.Write(b)
	c.written += uint64(len(b))
	after := gc.OutboundBuffered()
	if after == 0 {
		c.mirror = c.mirror[:0]
		return
	}
	// gnet only ever drops bytes from the front of its queue, so the mirror's last
	// `before` bytes are what was still queued, and b follows them.
	keep := min(before, len(c.mirror))
	n := copy(c.mirror, c.mirror[len(c.mirror)-keep:])
	c.mirror = append(c.mirror[:n], b...)
	n = copy(c.mirror, c.mirror[len(c.mirror)-min(after, len(c.mirror)):])
	c.mirror = c.mirror[:n]
}
