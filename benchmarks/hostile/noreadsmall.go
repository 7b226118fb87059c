package main

import (
	"context"
	"fmt"
)

// The noread-small crowd (-noread-small-clients, -noread-small-sndbuf,
// -noread-small-mss). A 4 KiB receive buffer holds about 50 answers, so the unread
// answers pile up on the server's side. The other two options keep 10,000 such clients
// from exhausting the machine's TCP memory (net.ipv4.tcp_mem, shared with every other
// program): on loopback the server's kernel sizes a connection's send buffer from the
// 64 KiB segments the client announces, up to net.ipv4.tcp_wmem's maximum (4 MiB here),
// and so does the client's kernel for its own send buffer. An Ethernet-sized MSS and a
// fixed 4 KiB send buffer (8 KiB once the kernel doubles it) keep both small; what is
// left, mostly the server's receive buffer (net.ipv4.tcp_rmem's default, 128 KiB)
// and its send buffer, is the server's to bound. Measured here with 2,000 such
// clients: about 260 KiB of TCP memory per connection, both ends together.
var (
	noreadSmallClients = 400
	noreadSmallRcvBuf  = 4096
	noreadSmallSndBuf  = 4096
	noreadSmallMSS     = 1448
)

func noreadSmallScenario() scenario {
	return scenario{
		Name: "noread-small",
		Key:  fmt.Sprintf("noread-small-%d", noreadSmallClients),
		About: fmt.Sprintf("%d clients with SO_RCVBUF %d, SO_SNDBUF %d and TCP_MAXSEG %d (set before connect) pipeline POST /event as fast as they can for %v and never read; the server must stop reading them (their writes block) or close them",
			noreadSmallClients, noreadSmallRcvBuf, noreadSmallSndBuf, noreadSmallMSS, noreadFor),
		Nginx: true,
		Attack: func(ctx context.Context, addr string) outcome {
			return noreadAttack(ctx, addr, noreadSmallClients, sockOpts{RcvBuf: noreadSmallRcvBuf, SndBuf: noreadSmallSndBuf, MSS: noreadSmallMSS})
		},
	}
}
