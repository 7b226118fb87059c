package cluster

import (
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onemrc/onemrc/store"
)

// The cluster's user set lives in userShards Redis sets, shard s holding the keys of the
// store's user part s (store.UserPart): one hash tag per shard, so Redis Cluster spreads
// them over its masters. uniqueUsers is the sum of their cardinalities.
//
// Beside each set, a hash holds one mark per node: the value the node wrote with its last
// write to that shard, a token of its own process and a counter, never reused. Every write
// a node makes to a shard is a script that first checks that the shard holds the node's
// last mark, then adds the users and writes a new mark. Redis loses writes only as a
// suffix (an RDB or AOF taken earlier, a replica that lags: both are prefixes of the
// write history), so a shard that lost any of a node's users has also lost that node's
// later marks: the next write or check finds an older mark, and the node resends that
// shard's users from its store (a resync). No clock and no counter in Redis is trusted.
const userShards = store.UserParts

// Resync pacing and the flusher's memory bounds.
const (
	// batchUsers is the most users one write sends. Redis spends about 0.6 µs per user
	// added (measured: 6.1 s of Redis CPU for 10 million, benchmarks/clustercost), so a
	// write of 5,000 holds it about 3 ms, and other clients wait at most that long.
	batchUsers = 5_000
	// resyncPerFlush is the most users a flush resends from the store. A node that is
	// behind flushes again as soon as a flush lands (Node.run), so a resync goes as fast
	// as Redis answers, one command of at most batchUsers at a time.
	resyncPerFlush = 10 * batchUsers
	// pendingPerFlush is the most new users one flush sends; the rest go in the next
	// one, which follows at once.
	pendingPerFlush = 20 * batchUsers
	// maxBacklogUsers bounds the new users held while Redis is unreachable (16 bytes
	// each: 16 MiB). Past it the held users are dropped and their shards resent from the
	// store once Redis is back: the store holds every user already.
	maxBacklogUsers = 1 << 20
	// verifyEvery is how often a node checks every shard's mark and reads its
	// cardinality: the bound on how long a rollback of a shard this node does not write
	// goes unnoticed, and on the age of the cluster's uniqueUsers.
	verifyEvery = time.Second
	// luaChunk is the most values a script unpacks at once (Lua's C stack holds 8,000).
	luaChunk = 4000
)

// Shard keys, made once.
var shardUsersKey, shardMarksKey = func() (users, marks [userShards]string) {
	for s := range userShards {
		users[s] = fmt.Sprintf("{onemrc:u:%02x}:users", s)
		marks[s] = fmt.Sprintf("{onemrc:u:%02x}:marks", s)
	}
	return
}()

// addUsersScript adds users to shard KEYS[1] if the shard holds the node's mark.
//
// KEYS: the shard's set, the shard's marks. ARGV: node, expected mark, other possible
// mark, new mark, users... An expected mark of "*" accepts any (a resync's first write);
// "" stands for no mark. The other possible mark is the one of a write whose answer was
// lost (it may or may not have landed); equal to the expected one when there is none.
// Finding the new mark itself means this write already ran (a client library resent it
// after a lost answer): adding again is harmless.
// Returns {"OK", scard} after adding, or {"ROLLBACK", mark} without writing.
var addUsersScript = redis.NewScript(`
local m = redis.call('HGET', KEYS[2], ARGV[1]) or ''
if ARGV[2] ~= '*' and m ~= ARGV[2] and m ~= ARGV[3] and m ~= ARGV[4] then return {'ROLLBACK', m} end
for i = 5, #ARGV, ` + strconv.Itoa(luaChunk) + ` do
  redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + ` + strconv.Itoa(luaChunk-1) + `, #ARGV)))
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
return {'OK', redis.call('SCARD', KEYS[1])}
`)

// verifyScript returns {node's mark or "", scard} for shard KEYS[1] (KEYS as for
// addUsersScript; ARGV: node).
var verifyScript = redis.NewScript(`
return {redis.call('HGET', KEYS[2], ARGV[1]) or '', redis.call('SCARD', KEYS[1])}
`)

// shardSync is what a node knows of one shard.
type shardSync struct {
	acked   string      // the node's mark as of its last acknowledged write; "" for none
	maybe   string      // the mark of a write whose answer was lost; acked when none
	known   bool        // acked is known: false until this process wrote the shard
	resync  bool        // the shard's users must be resent from the store
	job     *resyncJob  // the resync under way, if its copy was taken
	pending [][2]uint64 // new users not yet acknowledged (none while a resync waits)
	scard   int64       // the shard's cardinality at the last write or check
}

// resyncJob is one shard's resync under way: its users as copied from the store, of
// which [0, pos) are acknowledged and [pos, queued) are in flight.
type resyncJob struct {
	shard       int
	users       [][2]uint64
	pos, queued int
	done        bool // the write that ends it landed
}

// userSync keeps the node's user shards in step with Redis. Flusher goroutine only.
type userSync struct {
	shards     [userShards]shardSync
	jobs       []*resyncJob // in shard order of start; a few at a time (resyncPerFlush)
	backlog    int          // users in pending lists
	maxBacklog int          // maxBacklogUsers (tests lower it)

	markPrefix string // from this process's token: marks never repeat across processes
	markSeq    uint64
	lastVerify time.Time
	rollbacks  uint64 // shards found to have lost writes of this node
}

func newUserSync(token string) *userSync {
	u := &userSync{markPrefix: token[:16] + ":", maxBacklog: maxBacklogUsers}
	u.resyncAll()
	return u
}

// resyncAll schedules a resync of every shard, when the node joins: it cannot know
// which of its users an earlier run of it had written.
func (u *userSync) resyncAll() {
	for s := range u.shards {
		u.markResync(s)
	}
}

// markResync schedules shard s's resync (restarting one under way) and drops its pending
// users: the resync copies them from the store, which holds every user already.
func (u *userSync) markResync(s int) {
	sh := &u.shards[s]
	sh.resync = true
	u.backlog -= len(sh.pending)
	sh.pending = nil
	if sh.job != nil {
		for i, j := range u.jobs {
			if j == sh.job {
				u.jobs = append(u.jobs[:i], u.jobs[i+1:]...)
				break
			}
		}
		sh.job = nil
	}
}

func (u *userSync) nextMark() string {
	u.markSeq++
	return u.markPrefix + strconv.FormatUint(u.markSeq, 10)
}

// add files new users (from the store's journal) under their shards. A shard waiting
// for its resync keeps none: the resync's copy will hold them. A shard whose copy was
// taken keeps them (they may have come after it). Past maxBacklogUsers every shard
// holding users turns to a resync instead.
func (u *userSync) add(keys [][2]uint64) {
	for _, k := range keys {
		s := store.UserPart(k)
		sh := &u.shards[s]
		if sh.resync && sh.job == nil {
			continue
		}
		sh.pending = append(sh.pending, k)
		u.backlog++
	}
	if u.backlog > u.maxBacklog {
		for s := range u.shards {
			if len(u.shards[s].pending) > 0 {
				u.markResync(s)
			}
		}
	}
}

// unique is the cluster's user count as of the last writes and checks.
func (u *userSync) unique() uint64 {
	var n int64
	for s := range u.shards {
		n += u.shards[s].scard
	}
	return uint64(n)
}

// behind counts the users waiting to reach Redis (pending ones, the rest of the
// resyncs under way, and the users of the shards waiting for one, as st holds them now)
// and the shards waiting for a resync.
func (u *userSync) behind(st *store.Store) (users int, shards int) {
	users = u.backlog
	for _, j := range u.jobs {
		users += len(j.users) - j.pos
	}
	for s := range u.shards {
		if sh := &u.shards[s]; sh.resync {
			shards++
			if sh.job == nil {
				users += st.PartLen(s)
			}
		}
	}
	return users, shards
}

// rolledBack schedules a resync of every shard, counting as rollbacks those not already
// waiting for one: Redis lost all of this node's writes (it came back empty).
func (u *userSync) rolledBack() {
	for s := range u.shards {
		if !u.shards[s].resync {
			u.rollbacks++
		}
		u.markResync(s)
	}
}
