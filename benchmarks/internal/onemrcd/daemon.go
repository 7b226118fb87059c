package onemrcd

import (
	"context"
	"time"
)

// healthLimit bounds a daemon's start, from exec to the first GET /health = 200. It
// covers a cluster node's join: up to a few seconds for a new user-hash seed to
// settle, and the wait for a lease a crashed run left behind.
const healthLimit = 60 * time.Second

// Daemon is an onemrcd process a benchmark started.
type Daemon struct {
	*Process
	Addr string // its HTTP listener, 127.0.0.1:port
}

// NoDrain is the environment entry that makes a daemon stop at once on SIGTERM
// (-drain-timeout 0; its default of 5 s waits for load balancers, which a benchmark has
// none of). A variable rather than the flag: daemons built before the flag ignore it.
const NoDrain = "ONEMRC_DRAIN_TIMEOUT=0"

// Start runs bin on a free loopback port with its output appended to logPath and env
// added to this process's environment (GODEBUG=gctrace=1, say), and returns once GET
// /health answers 200 (within ctx and healthLimit). The admin listener is off unless
// args name one ("-admin-addr" later on the command line wins), so that several
// daemons never fight over its fixed default port.
func Start(ctx context.Context, bin string, args []string, logPath string, env ...string) (*Daemon, error) {
	addr, err := FreeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	p, err := StartProcess(bin, append([]string{"-addr", addr, "-admin-addr="}, args...), append([]string{NoDrain}, env...), logPath)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, healthLimit)
	defer cancel()
	if err := p.WaitHTTP(ctx, "http://"+addr+"/health", 50*time.Millisecond); err != nil {
		_ = p.Stop()
		return nil, err
	}
	return &Daemon{Process: p, Addr: addr}, nil
}
