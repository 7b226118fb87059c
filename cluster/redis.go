package cluster

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/onemrc/onemrc/store"
)

const (
	keyEpoch = "{onemrc}:epoch"
	keySeed  = "{onemrc}:seed"
	keyUsers = "{onemrc}:users"
	keyNodes = "{onemrc}:nodes"
	nodeKey  = "{onemrc}:node:"
)

// flushScript writes a node's cumulative totals if the node holds its lease (see
// leaseLua, which renews it) and the flush is newer than the last one applied, then
// returns the cluster view.
//
// KEYS: lease, epoch, users, nodes, node prefix.
// ARGV: lease token, lease TTL in ms, epoch, node, seq, count, sum mantissa, sum scale.
// Returns {"LEASE"} when another token holds the lease (another process took the node
// id); {"EPOCH"} when Redis's epoch is not the node's (Redis lost its data, or was
// never joined); {"STALE", seq} when Redis holds a flush of this node id with a seq at
// least as high; else {"OK", scard, node1, count1, mant1, scale1, node2, ...}.
// Sequence numbers are decimal integers near 2^61 (nanoseconds): they are compared as
// text, length first, because tonumber would round them to a multiple of 256.
var flushScript = redis.NewScript(leaseLua + `
local epoch = redis.call('GET', KEYS[2])
if epoch ~= ARGV[3] then return {'EPOCH'} end
local nk = KEYS[5] .. ARGV[4]
local last = redis.call('HGET', nk, 'seq')
if last and (#ARGV[5] < #last or (#ARGV[5] == #last and ARGV[5] <= last)) then
  return {'STALE', last}
end
redis.call('HSET', nk, 'seq', ARGV[5], 'count', ARGV[6], 'mant', ARGV[7], 'scale', ARGV[8])
redis.call('SADD', KEYS[4], ARGV[4])
local out = {'OK', redis.call('SCARD', KEYS[3])}
for _, n in ipairs(redis.call('SMEMBERS', KEYS[4])) do
  local h = redis.call('HMGET', KEYS[5] .. n, 'count', 'mant', 'scale')
  table.insert(out, n)
  table.insert(out, h[1] or '0')
  table.insert(out, h[2] or '0')
  table.insert(out, h[3] or '0')
end
return out
`)

// scriptKeys are flushScript's keys for a node id.
func scriptKeys(node string) []string {
	return []string{leaseKey + node, keyEpoch, keyUsers, keyNodes, nodeKey}
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

// nodeTotals is one node's cumulative totals as stored in Redis.
type nodeTotals struct {
	node  string
	count uint64
	mant  *big.Int
	scale int
}

// Bounds on the numbers of the script's reply: Redis content is read back, never trusted
// (the sums are bounded by parseSum).
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
	// maxSeq is the highest flush sequence number taken from Redis: 2^62 nanoseconds
	// after 1970 is in 2116, and leaves room to count up from it.
	maxSeq = 1 << 62
)

// parseView reads the script's answer.
func parseView(res any) (unique uint64, nodes []nodeTotals, err error) {
	arr, ok := res.([]any)
	if !ok || len(arr) == 0 {
		return 0, nil, fmt.Errorf("cluster: unexpected script reply %T", res)
	}
	if s, _ := arr[0].(string); s == "LEASE" && len(arr) == 1 {
		return 0, nil, ErrLeaseLost
	}
	if s, _ := arr[0].(string); s == "EPOCH" {
		return 0, nil, errEpoch
	}
	if s, _ := arr[0].(string); s == "STALE" && len(arr) == 2 {
		seq, err := strconv.ParseInt(fmt.Sprint(arr[1]), 10, 64)
		if err != nil || seq <= 0 || seq > maxSeq {
			return 0, nil, fmt.Errorf("cluster: stored flush seq %v outside [1, %d]", arr[1], int64(maxSeq))
		}
		return 0, nil, staleError{seq}
	}
	if len(arr) < 2 || (len(arr)-2)%4 != 0 {
		return 0, nil, fmt.Errorf("cluster: malformed script reply of %d items", len(arr))
	}
	if n := (len(arr) - 2) / 4; n > maxNodes {
		return 0, nil, fmt.Errorf("cluster: %d nodes in redis exceed %d", n, maxNodes)
	}
	scard, ok := arr[1].(int64)
	if !ok || scard < 0 || scard > maxUsers {
		return 0, nil, fmt.Errorf("cluster: user count %v outside [0, %d]", arr[1], uint64(maxUsers))
	}
	nodes = make([]nodeTotals, 0, (len(arr)-2)/4)
	for i := 2; i < len(arr); i += 4 {
		n := nodeTotals{node: fmt.Sprint(arr[i])}
		if n.count, err = strconv.ParseUint(fmt.Sprint(arr[i+1]), 10, 64); err != nil {
			return 0, nil, fmt.Errorf("cluster: node %s count: %w", n.node, err)
		}
		if n.count > maxNodeCount {
			return 0, nil, fmt.Errorf("cluster: node %s count %d exceeds %d", n.node, n.count, uint64(maxNodeCount))
		}
		if n.mant, n.scale, err = parseSum(fmt.Sprint(arr[i+2]), fmt.Sprint(arr[i+3])); err != nil {
			return 0, nil, fmt.Errorf("cluster: node %s %w", n.node, err)
		}
		nodes = append(nodes, n)
	}
	return uint64(scard), nodes, nil
}

// maxMantLen is the longest mant field a node writes: a sign and store.MaxSumMantDigits.
const maxMantLen = 1 + store.MaxSumMantDigits

// parseSum reads a node's stored sum, mant * 10^scale as Flush writes it (mant.String()
// and scale in decimal), and refuses anything beyond what a store's sum can be: Redis
// content is read back, never trusted (a scale of 10^9 would cost 10^(10^9) at the first
// /stats, and a mant of 100 MB seconds to parse).
func parseSum(mantText, scaleText string) (*big.Int, int, error) {
	if len(mantText) > maxMantLen {
		return nil, 0, fmt.Errorf("mant of %d bytes exceeds %d", len(mantText), maxMantLen)
	}
	mant, ok := new(big.Int).SetString(mantText, 10)
	if !ok {
		return nil, 0, fmt.Errorf("mant %q is not a decimal integer", mantText)
	}
	scale, err := strconv.Atoi(scaleText)
	if err != nil {
		return nil, 0, fmt.Errorf("scale: %w", err)
	}
	if err := store.CheckSum(mant, scale); err != nil {
		return nil, 0, err
	}
	return mant, scale, nil
}

// join makes sure Redis has an epoch and a seed, proposing ours, and returns the
// cluster's. A node whose user keys were made under another seed cannot join.
func join(ctx context.Context, rdb *redis.Client, proposed [2]uint64) (epoch string, seed [2]uint64, err error) {
	var e [16]byte
	_, _ = rand.Read(e[:])
	if err := rdb.SetNX(ctx, keyEpoch, hex.EncodeToString(e[:]), 0).Err(); err != nil {
		return "", seed, err
	}
	if err := rdb.SetNX(ctx, keySeed, encodeSeed(proposed), 0).Err(); err != nil {
		return "", seed, err
	}
	epoch, err = rdb.Get(ctx, keyEpoch).Result()
	if err != nil {
		return "", seed, err
	}
	if len(epoch) == 0 || len(epoch) > 64 {
		// Sent back with every flush: one of 100 MB would cost that much each time.
		return "", seed, fmt.Errorf("cluster: epoch of %d bytes in redis; want 1 to 64", len(epoch))
	}
	s, err := rdb.Get(ctx, keySeed).Result()
	if err != nil {
		return "", seed, err
	}
	seed, err = decodeSeed(s)
	return epoch, seed, err
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
func readNode(ctx context.Context, rdb *redis.Client, node string) (nodeTotals, bool, error) {
	vals, err := rdb.HMGet(ctx, nodeKey+node, "count", "mant", "scale").Result()
	if err != nil {
		return nodeTotals{}, false, err
	}
	if vals[0] == nil {
		return nodeTotals{}, false, nil
	}
	_, nodes, err := parseView([]any{"OK", int64(0), node, vals[0], vals[1], vals[2]})
	if err != nil {
		return nodeTotals{}, false, err
	}
	return nodes[0], true, nil
}
