package cluster

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/internal/redistest"
	"github.com/onemrc/onemrc/store"
)

// flushUntilOK flushes until one lands (Redis may be coming back), within 10 s.
func flushUntilOK(t *testing.T, n *Node) {
	t.Helper()
	require.Eventually(t, func() bool { return n.Flush(context.Background()) == nil }, 10*time.Second, 10*time.Millisecond)
}

func recordUsers(t *testing.T, st *store.Store, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		record(t, st, "user_"+strconv.Itoa(i), "1")
	}
}

func TestUserShardsHoldEveryUserOnce(t *testing.T) {
	r := redistest.Start(t)
	n, st := startNode(t, r.URL(), "a")
	recordUsers(t, st, 0, 20_000)
	flushUntilOK(t, n)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()
	assert.Equal(t, int64(20_001), clusterUsers(t, rdb), "u0 and 20,000 users")
	assert.Equal(t, uint64(20_001), n.users.unique())
	for s := range userShards {
		assert.Positive(t, rdb.SCard(context.Background(), shardUsersKey[s]).Val(), "shard %d used", s)
	}
	users, shards := n.users.behind(st)
	assert.Zero(t, users)
	assert.Zero(t, shards)
}

// A shard whose mark is older than the node's lost writes (Redis went back to an older
// snapshot): the periodic check finds it, the node resends that shard from its store,
// and only that one.
func TestRollbackOfOneShardIsFoundAndResent(t *testing.T) {
	r := redistest.Start(t)
	ctx := context.Background()
	n, st := startNode(t, r.URL(), "a")
	recordUsers(t, st, 0, 5_000)
	flushUntilOK(t, n)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()

	// Shard 7 as an older snapshot would hold it: fewer users, an older mark.
	const s = 7
	before := rdb.SCard(ctx, shardUsersKey[s]).Val()
	require.Greater(t, before, int64(2))
	members := rdb.SMembers(ctx, shardUsersKey[s]).Val()
	require.NoError(t, rdb.SRem(ctx, shardUsersKey[s], members[0], members[1]).Err())
	require.NoError(t, rdb.HSet(ctx, shardMarksKey[s], "a", "older").Err())

	n.users.lastVerify = time.Time{} // the check is due
	assert.ErrorIs(t, n.Flush(ctx), errRollback)
	assert.Equal(t, uint64(1), n.Metrics().Rollbacks)
	assert.Equal(t, int64(1), n.Metrics().ResyncShards)
	flushUntilOK(t, n)
	assert.Equal(t, before, rdb.SCard(ctx, shardUsersKey[s]).Val(), "the shard is whole again")
	assert.Zero(t, n.Metrics().ResyncShards)
	assert.Equal(t, uint64(1), n.Metrics().Rollbacks, "one shard, found once")
}

// A write whose answer was lost may have landed: the next write accepts either mark,
// and a check that finds the lost one's mark takes it as acknowledged.
func TestWriteWithALostAnswerIsNoRollback(t *testing.T) {
	r := redistest.Start(t)
	ctx := context.Background()
	n, st := startNode(t, r.URL(), "a")
	flushUntilOK(t, n)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()

	const s = 3
	landed := n.users.nextMark()
	require.NoError(t, rdb.HSet(ctx, shardMarksKey[s], "a", landed).Err())
	n.users.shards[s].maybe = landed
	recordUsers(t, st, 0, 2_000) // some of them in shard 3
	n.users.lastVerify = time.Time{}
	require.NoError(t, n.Flush(ctx))
	assert.Zero(t, n.Metrics().Rollbacks)
	assert.Equal(t, int64(2_001), clusterUsers(t, rdb))
}

// While Redis is unreachable the node holds at most maxBacklog new users; past it, it
// drops them and resends their shards from its store once Redis is back (here empty).
func TestBacklogIsBoundedWhileRedisIsDown(t *testing.T) {
	r := redistest.Start(t)
	n, st := startNode(t, r.URL(), "a")
	n.users.maxBacklog = 1_000
	flushUntilOK(t, n)

	r.Stop()
	for i := range 10 {
		recordUsers(t, st, i*500, (i+1)*500)
		require.Error(t, n.Flush(context.Background()))
		held := 0
		for s := range userShards {
			held += len(n.users.shards[s].pending)
		}
		require.LessOrEqual(t, held, 1_000, "at most maxBacklog users held")
		require.Equal(t, held, n.users.backlog)
	}
	users, shards := n.users.behind(st)
	assert.Positive(t, shards, "shards to resend from the store")
	assert.Equal(t, 5_001, users, "every user counts as behind, held or not")

	r.Restart()
	flushUntilOK(t, n)
	require.Eventually(t, func() bool {
		_ = n.Flush(context.Background())
		_, shards := n.users.behind(st)
		return shards == 0
	}, 10*time.Second, 10*time.Millisecond)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()
	assert.Equal(t, int64(5_001), clusterUsers(t, rdb), "every user, though most were dropped from memory")
}
