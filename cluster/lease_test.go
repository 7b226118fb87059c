package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/internal/redistest"
	"github.com/onemrc/onemrc/store"
)

// startRedis starts a redis-server of the test's own (redistest.Start: no persistence)
// and returns its URL and a client to inspect it.
func startRedis(t *testing.T) (string, *redis.Client) {
	t.Helper()
	r := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	t.Cleanup(func() { rdb.Close() })
	return r.URL(), rdb
}

// startNode dials node id with a flush interval of an hour (flushes are the test's) and
// starts it on a store holding one event of value 5.
func startNode(t *testing.T, url, id string) (*Node, *store.Store) {
	t.Helper()
	n, err := Dial(context.Background(), Config{URL: url, NodeID: id, FlushInterval: time.Hour, Keyed: true}, [2]uint64{1, 2})
	require.NoError(t, err)
	st := store.New(store.Options{Seed: n.Seed()})
	st.EnableJournal()
	record(t, st, "u0", "5")
	n.Start(st)
	return n, st
}

func record(t *testing.T, st *store.Store, user, value string) {
	t.Helper()
	var dec event.Decoder
	var ev event.Event
	require.NoError(t, dec.Decode([]byte(`{"userId":"`+user+`","value":`+value+`}`), &ev))
	sh := st.NewShard()
	sh.Record(&ev)
	sh.Publish()
}

func TestParseViewLease(t *testing.T) {
	_, err := parseView([]any{"LEASE"})
	assert.ErrorIs(t, err, ErrLeaseLost)
	_, err = parseView([]any{"LEASE", "x"})
	assert.NotErrorIs(t, err, ErrLeaseLost, "a malformed reply is not a lost lease")
	assert.Equal(t, 10*time.Second, LeaseTTL(time.Second))
	assert.Equal(t, 5*time.Second, LeaseTTL(100*time.Millisecond))
}

// The lease is taken at Dial, renewed by every flush, and released by Close.
func TestLeaseTakenRenewedReleased(t *testing.T) {
	url, rdb := startRedis(t)
	ctx := context.Background()
	n, _ := startNode(t, url, "a")
	key := leaseKey + "a"
	assert.Equal(t, n.token, rdb.Get(ctx, key).Val())
	require.NoError(t, rdb.PExpire(ctx, key, time.Minute).Err())
	require.NoError(t, n.Flush(ctx))
	assert.InDelta(t, LeaseTTL(time.Hour).Seconds(), rdb.PTTL(ctx, key).Val().Seconds(), 5, "the flush renewed it")

	// A lease that lapsed with nobody taking it is taken again by the next flush.
	require.NoError(t, rdb.Del(ctx, key).Err())
	require.NoError(t, n.Flush(ctx))
	assert.Equal(t, n.token, rdb.Get(ctx, key).Val())
	assert.False(t, n.LeaseLost())

	require.NoError(t, n.Close(ctx))
	assert.Zero(t, rdb.Exists(ctx, key).Val(), "Close released the lease")
}

// A second process dialing a held id is refused, saying who holds it for how long.
func TestLeaseHeldRefusesDial(t *testing.T) {
	url, _ := startRedis(t)
	a, _ := startNode(t, url, "a")
	defer a.Close(context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), time.Second) // under LeaseWait
	defer cancel()
	_, err := Dial(ctx, Config{URL: url, NodeID: "a", FlushInterval: time.Hour, Keyed: true}, [2]uint64{1, 2})
	require.Error(t, err)
	assert.Regexp(t, `node id "a" is held by another live daemon \(lease expires in \d+ ms\); give this daemon another -node-id or stop the other`, err.Error())

	// Its lease lapses (a crash): a new process takes the id within the wait.
	require.NoError(t, a.rdb.Del(context.Background(), leaseKey+"a").Err())
	b, err := Dial(context.Background(), Config{URL: url, NodeID: "a", FlushInterval: time.Hour, Keyed: true}, [2]uint64{1, 2})
	require.NoError(t, err)
	b.Close(context.Background())
}

// A node whose lease holds another token writes nothing (neither totals nor users),
// fails every flush after, and keeps the other's lease at Close.
func TestLeaseLostStopsFlushing(t *testing.T) {
	url, rdb := startRedis(t)
	ctx := context.Background()
	n, st := startNode(t, url, "a")
	require.NoError(t, n.Flush(ctx))
	require.Equal(t, "1", rdb.HGet(ctx, nodeKey+"a", "count").Val())

	require.NoError(t, rdb.Set(ctx, leaseKey+"a", "intruder", time.Minute).Err())
	record(t, st, "u1", "7")
	assert.ErrorIs(t, n.Flush(ctx), ErrLeaseLost)
	assert.True(t, n.LeaseLost())
	assert.True(t, n.Metrics().LeaseLost)
	assert.Equal(t, "1", rdb.HGet(ctx, nodeKey+"a", "count").Val(), "no totals written")
	// The flush that found the lease taken may have added u1 (user shards live in
	// other slots than the lease, and a user this node saw is a real one); no flush
	// after it sends anything.
	before := clusterUsers(t, rdb)
	record(t, st, "u2", "7")
	assert.ErrorIs(t, n.Flush(ctx), ErrLeaseLost)
	assert.Equal(t, before, clusterUsers(t, rdb), "no users written after the loss")

	// Even with the key gone, a node that lost its lease stays stopped.
	require.NoError(t, rdb.Del(ctx, leaseKey+"a").Err())
	assert.ErrorIs(t, n.Flush(ctx), ErrLeaseLost)
	assert.Equal(t, uint64(3), n.Metrics().FlushesFailed)
	assert.Equal(t, uint64(1), n.Metrics().FlushesOK)

	require.NoError(t, rdb.Set(ctx, leaseKey+"a", "intruder", time.Minute).Err())
	assert.ErrorIs(t, n.Close(ctx), ErrLeaseLost)
	assert.Equal(t, "intruder", rdb.Get(ctx, leaseKey+"a").Val(), "Close keeps another's lease")

	// The release script deletes only its own token's lease.
	assert.Equal(t, int64(0), releaseScript.Run(ctx, rdb, []string{leaseKey + "a"}, "me").Val())
	assert.Equal(t, int64(1), releaseScript.Run(ctx, rdb, []string{leaseKey + "a"}, "intruder").Val())
}

// A lease key without expiry (set by hand) is named in the refusal.
func TestLeaseWithoutExpiryIsNamed(t *testing.T) {
	url, rdb := startRedis(t)
	require.NoError(t, rdb.Set(context.Background(), leaseKey+"a", "by hand", 0).Err())
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := Dial(ctx, Config{URL: url, NodeID: "a", Keyed: true}, [2]uint64{1, 2})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `node id "a" is held by a lease without expiry ({onemrc}:lease:a`)
}

// clusterUsers is the cluster's user count as Redis holds it: the sum of the shards'.
func clusterUsers(t *testing.T, rdb redis.Cmdable) int64 {
	t.Helper()
	var n int64
	for s := range userShards {
		c, err := rdb.SCard(context.Background(), shardUsersKey[s]).Result()
		require.NoError(t, err)
		n += c
	}
	return n
}
