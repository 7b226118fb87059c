package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// leaseKey prefixes a node id's lease: its value is the holding process's token.
const leaseKey = "{onemrc}:lease:"

// Lease timing.
const (
	// leaseFlushes is how many flush intervals a lease outlives its last renewal: ten
	// flushes in a row may fail (a Redis blip, a slow full resend) before it lapses.
	leaseFlushes = 10
	// minLeaseTTL bounds the lease from below: well above a Redis round trip's timeout
	// (1 s by default) and a long GC or scheduling pause, yet short enough that a daemon
	// restarted after a crash of its own waits only seconds for its old lease.
	minLeaseTTL = 5 * time.Second
	// leaseMargin is added to the TTL when Dial waits out a lease: the old holder's last
	// renewal may have landed just after Dial's first attempt, and Redis expires keys
	// with up to a millisecond's lateness.
	leaseMargin = time.Second
)

// LeaseTTL is the lease's lifetime for a flush interval: max(leaseFlushes intervals,
// minLeaseTTL). Each flush renews it.
func LeaseTTL(flushInterval time.Duration) time.Duration {
	return max(leaseFlushes*flushInterval, minLeaseTTL)
}

// LeaseWait is the longest Dial waits for a lease held by another token before it
// refuses to start: a crashed holder's lease is gone by then, a live holder's is not.
// Dial's context must allow this much beyond reaching Redis.
func LeaseWait(flushInterval time.Duration) time.Duration {
	return LeaseTTL(flushInterval) + leaseMargin
}

// leaseLua takes or renews the lease KEYS[1] for token ARGV[1] with TTL ARGV[2] ms, or
// returns {'LEASE'} if another token holds it. A lease that lapsed with nobody taking it
// (Redis unreachable longer than the TTL, a flush slower than it, Redis lost its data)
// is taken again: no other process held the id meanwhile, so nothing was overwritten.
// Scripts that start with it write nothing when it refuses.
const leaseLua = `
local lease = redis.call('GET', KEYS[1])
if lease ~= ARGV[1] then
  if lease then return {'LEASE'} end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
`

// releaseScript deletes the lease KEYS[1] if token ARGV[1] still holds it.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// ErrLeaseLost means another process took this node's id: the node flushes no more.
var ErrLeaseLost = errors.New("cluster: this node's lease on its id was taken by another process; it flushes no more")

// heldError is Dial's refusal: a live daemon holds the node id.
type heldError struct {
	node string
	ttl  time.Duration // what remained of the lease at the last look; -1 for none
}

func (e heldError) Error() string {
	if e.ttl < 0 {
		return fmt.Sprintf("node id %q is held by a lease without expiry (%s%s, not written by onemrc); delete it if no daemon runs under this id",
			e.node, leaseKey, e.node)
	}
	return fmt.Sprintf("node id %q is held by another live daemon (lease expires in %d ms); give this daemon another -node-id or stop the other",
		e.node, e.ttl.Milliseconds())
}

// newToken returns a random token for this process's leases.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// takeLease takes the node's lease, waiting up to LeaseWait for a holder's lease to
// expire (this daemon's own, before a crash). Redis errors are retried within ctx.
func (n *Node) takeLease(ctx context.Context) error {
	key := leaseKey + n.cfg.NodeID
	ttl := LeaseTTL(n.cfg.FlushInterval)
	deadline := time.Now().Add(LeaseWait(n.cfg.FlushInterval))
	var last error
	logged := false
	for {
		ok, err := n.rdb.SetNX(ctx, key, n.token, ttl).Result()
		if err == nil && ok {
			return nil
		}
		if err == nil {
			var left time.Duration
			if left, err = n.rdb.PTTL(ctx, key).Result(); err == nil {
				// PTTL answers -1 for a key without expiry, -2 for one that just
				// expired (the next SET NX takes it).
				held := heldError{node: n.cfg.NodeID, ttl: max(left, 0)}
				if left == -1 {
					held.ttl = -1
				}
				last = held
				if time.Now().After(deadline) {
					return last
				}
				if !logged {
					logged = true
					n.log.Warn("cluster: node id is leased by another process; waiting for its lease to expire (a crashed run of this daemon's)",
						"node", n.cfg.NodeID, "expires_in", left, "wait_at_most", time.Until(deadline).Round(time.Millisecond))
				}
			}
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last == nil {
				last = ctx.Err()
			}
			return last
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// releaseLease deletes the lease if this process still holds it.
func (n *Node) releaseLease(ctx context.Context) error {
	return releaseScript.Run(ctx, n.rdb, []string{leaseKey + n.cfg.NodeID}, n.token).Err()
}

// LeaseLost reports whether another process took this node's id: the node then flushes
// no more, and every Flush fails with ErrLeaseLost.
func (n *Node) LeaseLost() bool { return n.leaseLost.Load() }
