package cluster

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onemrc/onemrc/decimal"
)

const (
	keyEpoch = "{onemrc}:epoch"
	keySeed  = "{onemrc}:seed"
	// keySeedProvisional exists, with a TTL of SeedGrace, while the seed was proposed by
	// a node that holds no users: a node whose users are keyed by another seed may still
	// replace it (see join).
	keySeedProvisional = "{onemrc}:seed-provisional"
	keyNodes           = "{onemrc}:nodes"
	nodeKey            = "{onemrc}:node:"
)

// flushScript writes a node's cumulative totals if the node holds its lease (see
// leaseLua, which renews it) and the flush is newer than the last one applied, then
// returns the cluster's totals.
//
// KEYS: lease, epoch, nodes, node prefix.
// ARGV: lease token, lease TTL in ms, epoch, node, seq, count, sum mantissa, sum scale.
// Returns {"LEASE"} when another token holds the lease (another process took the node
// id); {"EPOCH"} when Redis's epoch is not the node's (Redis lost its data, or was
// never joined); {"STALE", seq} when Redis holds a flush of this node id with a seq at
// least as high; else {"OK", node1, count1, mant1, scale1, node2, ...}.
// Sequence numbers are decimal integers counted up by the node from the one stored
// (readSeq); they are compared as text, length first, which is exact at any size
// (tonumber would round those above 2^53, which older daemons wrote).
var flushScript = redis.NewScript(leaseLua + `
local epoch = redis.call('GET', KEYS[2])
if epoch ~= ARGV[3] then return {'EPOCH'} end
local nk = KEYS[4] .. ARGV[4]
local last = redis.call('HGET', nk, 'seq')
if last and (#ARGV[5] < #last or (#ARGV[5] == #last and ARGV[5] <= last)) then
  return {'STALE', last}
end
redis.call('HSET', nk, 'seq', ARGV[5], 'count', ARGV[6], 'mant', ARGV[7], 'scale', ARGV[8])
redis.call('SADD', KEYS[3], ARGV[4])
local out = {'OK'}
for _, n in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local h = redis.call('HMGET', KEYS[4] .. n, 'count', 'mant', 'scale')
  table.insert(out, n)
  table.insert(out, h[1] or '0')
  table.insert(out, h[2] or '0')
  table.insert(out, h[3] or '0')
end
return out
`)

// scriptKeys are flushScript's keys for a node id.
func scriptKeys(node string) []string {
	return []string{leaseKey + node, keyEpoch, keyNodes, nodeKey}
}

// loadScripts loads every script into Redis (into every master of a Redis Cluster), so
// that flushes send their SHA1s only.
func loadScripts(ctx context.Context, rdb redis.UniversalClient) error {
	for _, s := range []*redis.Script{flushScript, addUsersScript, verifyScript} {
		if err := s.Load(ctx, rdb).Err(); err != nil {
			return err
		}
	}
	return nil
}

// readSeq returns the sequence number of the last flush stored under node: the node's
// next flush goes past it. Only the lease holder writes it, so it is this node id's own
// (a Redis that rolled back holds an older one, and the next flush still lands).
func readSeq(ctx context.Context, rdb redis.UniversalClient, node string) (int64, error) {
	v, err := rdb.HGet(ctx, nodeKey+node, "seq").Result()
	if err == redis.Nil {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	seq, err := strconv.ParseInt(v, 10, 64)
	if err != nil || seq < 0 || seq > maxSeq {
		return 0, fmt.Errorf("stored flush seq %.30q outside [0, %d]", v, int64(maxSeq))
	}
	return seq, nil
}

// errEpoch means Redis does not hold this node's epoch: it must join again and resend
// everything.
var errEpoch = errors.New("cluster: redis epoch changed")

// staleError means Redis holds a flush of this node id with a sequence number at least
// as high as the one sent: another daemon runs under this id, or this host's clock went
// back. The next flush goes past seq.
type staleError struct{ seq int64 }

func (e staleError) Error() string {
	return fmt.Sprintf("cluster: redis holds a newer flush (seq %d) of this node id: another daemon runs under it, or this host's clock went back", e.seq)
}

// Totals is one node's cumulative totals: its event count and their exact sum.
type Totals struct {
	Count uint64
	Sum   *decimal.Decimal
}

// nodeTotals is one node's totals as stored in Redis, under its id.
type nodeTotals struct {
	node string
	Totals
}

// Bounds on the numbers of the script's reply: Redis content is read back, never trusted
// (the sums are bounded by decimal.Parse).
const (
	// maxUsers is the most members a Redis set can hold.
	maxUsers = 1<<32 - 1
	// maxNodes is the most nodes a cluster may have; a reply with more is refused before
	// its totals are parsed.
	maxNodes = 1024
	// maxNodeCount is the most events one node may report: 2^53, 28 years at 10 million
	// a second, so that the counts of maxNodes nodes plus this node's own cannot overflow
	// a uint64.
	maxNodeCount = 1 << 53
	// maxSeq is the highest flush sequence number taken from Redis: above the
	// nanosecond clock readings older daemons stored (2^62 ns after 1970 is in 2116), and
	// far enough below 2^63 to count up from for ever (ten flushes a second).
	maxSeq = 1 << 62
)

// parseView reads the script's answer.
func parseView(res any) (nodes []nodeTotals, err error) {
	arr, ok := res.([]any)
	if !ok || len(arr) == 0 {
		return nil, fmt.Errorf("cluster: unexpected script reply %T", res)
	}
	if s, _ := arr[0].(string); s == "LEASE" && len(arr) == 1 {
		return nil, ErrLeaseLost
	}
	if s, _ := arr[0].(string); s == "EPOCH" {
		return nil, errEpoch
	}
	if s, _ := arr[0].(string); s == "STALE" && len(arr) == 2 {
		seq, err := strconv.ParseInt(fmt.Sprint(arr[1]), 10, 64)
		if err != nil || seq <= 0 || seq > maxSeq {
			return nil, fmt.Errorf("cluster: stored flush seq %.30v outside [1, %d]", arr[1], int64(maxSeq))
		}
		return nil, staleError{seq}
	}
	if s, _ := arr[0].(string); s != "OK" || (len(arr)-1)%4 != 0 {
		return nil, fmt.Errorf("cluster: malformed script reply of %d items", len(arr))
	}
	if n := (len(arr) - 1) / 4; n > maxNodes {
		return nil, fmt.Errorf("cluster: %d nodes in redis exceed %d", n, maxNodes)
	}
	nodes = make([]nodeTotals, 0, (len(arr)-1)/4)
	for i := 1; i < len(arr); i += 4 {
		n := nodeTotals{node: fmt.Sprint(arr[i])}
		if n.Count, err = strconv.ParseUint(fmt.Sprint(arr[i+1]), 10, 64); err != nil {
			return nil, fmt.Errorf("cluster: node %s count: %w", n.node, err)
		}
		if n.Count > maxNodeCount {
			return nil, fmt.Errorf("cluster: node %s count %d exceeds %d", n.node, n.Count, uint64(maxNodeCount))
		}
		// Flush writes the sum as mant.String() and scale in decimal; decimal.Parse
		// bounds both before anything is computed with them.
		if n.Sum, err = decimal.Parse(fmt.Sprint(arr[i+2]), fmt.Sprint(arr[i+3])); err != nil {
			return nil, fmt.Errorf("cluster: node %s %w", n.node, err)
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// joinScript makes sure Redis has an epoch and a user-hash seed, and returns them.
//
// KEYS: epoch, seed, provisional marker. ARGV: a new epoch, the proposed seed, "1" if
// the proposer's users are keyed by it (else "0"), the grace in ms.
// A seed proposed into an empty Redis by a node holding no users is provisional for the
// grace: a node whose users are keyed by another seed (one that ran before Redis lost
// its data) replaces it meanwhile, and the nodes without users adopt whatever seed is
// there once the grace is over. So a fresh node joining an emptied Redis first never
// locks the cluster's older nodes out.
// Returns {epoch, seed, ms left of the grace (negative when none)}.
var joinScript = redis.NewScript(`
redis.call('SET', KEYS[1], ARGV[1], 'NX')
local seed = redis.call('GET', KEYS[2])
if not seed then
  redis.call('SET', KEYS[2], ARGV[2])
  if ARGV[3] == '0' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[4]) end
elseif seed ~= ARGV[2] and ARGV[3] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('SET', KEYS[2], ARGV[2])
end
return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2]), redis.call('PTTL', KEYS[3])}
`)

// SeedGrace is how long a seed proposed by a node without users stays provisional: long
// enough for the older nodes of a cluster whose Redis lost its data to flush (and so
// rejoin) once, even after a timed-out round trip; the flushes' part bounded like the
// lease's TTL.
func SeedGrace(flushInterval, timeout time.Duration) time.Duration {
	return 2*timeout + min(leaseFlushes*flushInterval, minLeaseTTL)
}

// seedError means Redis holds a user-hash seed other than the one that keys this
// node's users: they cannot be merged.
type seedError struct{}

func (seedError) Error() string {
	return "cluster: redis holds another user-hash seed than the one this node's users are keyed by: its data belongs to another cluster (or redis was emptied and another node started a new cluster before this one rejoined)"
}

// join agrees with Redis on the epoch and the seed, proposing ours (see joinScript). A
// node whose users are keyed (keyed) keeps its seed or fails with seedError; one without
// users waits out a provisional seed's grace and takes the seed Redis then holds.
func (n *Node) join(ctx context.Context, proposed [2]uint64, keyed bool) (epoch string, seed [2]uint64, err error) {
	var e [16]byte
	_, _ = rand.Read(e[:])
	flag := "0"
	if keyed {
		flag = "1"
	}
	grace := SeedGrace(n.cfg.FlushInterval, n.cfg.Timeout)
	res, err := joinScript.Run(ctx, n.rdb, []string{keyEpoch, keySeed, keySeedProvisional},
		hex.EncodeToString(e[:]), sealSeed(proposed, n.password), flag, grace.Milliseconds()).Slice()
	if err != nil {
		return "", seed, err
	}
	if len(res) != 3 {
		return "", seed, fmt.Errorf("cluster: unexpected join reply of %d items", len(res))
	}
	epoch, _ = res[0].(string)
	seedText, _ := res[1].(string)
	left, _ := res[2].(int64)
	if !keyed && left > 0 {
		n.log.Info("cluster: redis holds a new provisional user-hash seed; waiting for it to settle", "wait", time.Duration(left)*time.Millisecond)
		select {
		case <-ctx.Done():
			return "", seed, ctx.Err()
		case <-time.After(time.Duration(left+5) * time.Millisecond):
		}
		// The marker expired: the seed is final now, whoever set it.
		if seedText, err = n.rdb.Get(ctx, keySeed).Result(); err != nil {
			return "", seed, err
		}
		if epoch, err = n.rdb.Get(ctx, keyEpoch).Result(); err != nil {
			return "", seed, err
		}
	}
	if len(epoch) == 0 || len(epoch) > 64 {
		// Sent back with every flush: one of 100 MB would cost that much each time.
		return "", seed, fmt.Errorf("cluster: epoch of %d bytes in redis; want 1 to 64", len(epoch))
	}
	seed, resealed, err := openSeed(seedText, n.password, n.cfg.PreviousPassword)
	if err != nil {
		return "", seed, err
	}
	if resealed {
		if err := reseal(ctx, n.rdb, seedText, seed, n.password); err != nil {
			return "", seed, err
		}
		n.log.Info("cluster: the user-hash seed in redis is sealed under the current password now")
	}
	if keyed && seed != proposed {
		return "", seed, seedError{}
	}
	return epoch, seed, nil
}

func encodeSeed(s [2]uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], s[0])
	binary.BigEndian.PutUint64(b[8:], s[1])
	return hex.EncodeToString(b[:])
}

func decodeSeed(s string) ([2]uint64, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return [2]uint64{}, fmt.Errorf("cluster: bad seed %q in redis", s)
	}
	return [2]uint64{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}, nil
}

// userMember is the set member for a user key: its 16 bytes.
func userMember(k [2]uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], k[0])
	binary.BigEndian.PutUint64(b[8:], k[1])
	return string(b[:])
}

// readNode returns the totals Redis holds for node, if any.
func readNode(ctx context.Context, rdb redis.UniversalClient, node string) (nodeTotals, bool, error) {
	vals, err := rdb.HMGet(ctx, nodeKey+node, "count", "mant", "scale").Result()
	if err != nil {
		return nodeTotals{}, false, err
	}
	if vals[0] == nil {
		return nodeTotals{}, false, nil
	}
	nodes, err := parseView([]any{"OK", node, vals[0], vals[1], vals[2]})
	if err != nil {
		return nodeTotals{}, false, err
	}
	return nodes[0], true, nil
}
