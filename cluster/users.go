package cluster

import (
	"context"
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

// userWrite is one addUsersScript call queued in a flush.
type userWrite struct {
	shard int
	mark  string
	job   *resyncJob // the resync it belongs to; nil for pending users
	end   int        // the job's pos once it lands
	users int        // pending users it carries
	cmd   *redis.Cmd
}

// userOps are the user-set commands of one flush, in pipeline order.
type userOps struct {
	writes []userWrite
	verify []*redis.Cmd // one per shard, when this flush checks every shard
}

// queue adds this flush's user-set commands to pipe: up to resyncPerFlush users of the
// resyncs (copying the next shards from st as earlier ones are fully queued), up to
// pendingPerFlush new users, and every verifyEvery a check of every shard. Writes to one
// shard are chained: each expects the mark the one before it sets (so a write after one
// that failed fails its check, and the shard is resynced: safe, and rare).
func (u *userSync) queue(ctx context.Context, pipe redis.Pipeliner, st *store.Store, node string, now time.Time) userOps {
	var ops userOps
	last := map[int]string{} // shard -> the mark its latest queued write sets
	write := func(s int, users [][2]uint64, job *resyncJob, end int) {
		expect, other := u.expect(s, last)
		if job != nil && job.pos == 0 && last[s] == "" {
			// A resync's first write takes the shard as it finds it: it resends all.
			expect, other = "*", "*"
		}
		mark := u.nextMark()
		last[s] = mark
		args := make([]any, 0, 4+len(users))
		args = append(args, node, expect, other, mark)
		for _, k := range users {
			args = append(args, userMember(k))
		}
		cmd := addUsersScript.EvalSha(ctx, pipe, []string{shardUsersKey[s], shardMarksKey[s]}, args...)
		ops.writes = append(ops.writes, userWrite{shard: s, mark: mark, job: job, end: end, users: len(users), cmd: cmd})
	}

	budget := resyncPerFlush
	for i := 0; budget > 0; i++ {
		if i == len(u.jobs) && !u.startJob(st) {
			break
		}
		j := u.jobs[i]
		j.queued = j.pos // a flush resends what the last one left unacknowledged
		if len(j.users) == 0 {
			write(j.shard, nil, j, 0) // an empty part: one write sets the node's mark
			budget--
			continue
		}
		for budget > 0 && j.queued < len(j.users) {
			n := min(batchUsers, budget, len(j.users)-j.queued)
			write(j.shard, j.users[j.queued:j.queued+n], j, j.queued+n)
			j.queued += n
			budget -= n
		}
	}

	sent := 0
	for s := range u.shards {
		p := u.shards[s].pending
		for i := 0; i < len(p) && sent < pendingPerFlush; {
			n := min(batchUsers, len(p)-i, pendingPerFlush-sent)
			write(s, p[i:i+n], nil, 0)
			i += n
			sent += n
		}
	}

	if now.Sub(u.lastVerify) >= verifyEvery {
		u.lastVerify = now
		ops.verify = make([]*redis.Cmd, userShards)
		for s := range userShards {
			ops.verify[s] = verifyScript.EvalSha(ctx, pipe, []string{shardUsersKey[s], shardMarksKey[s]}, node)
		}
	}
	return ops
}

// startJob copies the lowest shard that waits for a resync from st and queues its job;
// false when none waits.
func (u *userSync) startJob(st *store.Store) bool {
	for s := range u.shards {
		sh := &u.shards[s]
		if sh.resync && sh.job == nil {
			sh.job = &resyncJob{shard: s, users: st.AppendPartUsers(nil, s)}
			u.jobs = append(u.jobs, sh.job)
			return true
		}
	}
	return false
}

// expect returns the marks a write to shard s must find: the one the write queued
// before it in this flush sets; else the acknowledged one and the one of a write whose
// answer was lost; "*" while this process has not written the shard.
func (u *userSync) expect(s int, last map[int]string) (expect, other string) {
	if m := last[s]; m != "" {
		return m, m
	}
	sh := &u.shards[s]
	if !sh.known {
		return "*", "*"
	}
	return sh.acked, sh.maybe
}

// settle reads the answers of a flush's user commands, in pipeline order, and reports
// whether every one landed. A write that landed acknowledges its users (or its resync
// batch); one that found another mark makes its shard resync; one without an answer
// keeps its users for the next flush and its mark as possibly stored.
func (u *userSync) settle(ops userOps) (ok bool, err error) {
	ok = true
	fail := func(e error) {
		ok = false
		if err == nil {
			err = e
		}
	}
	type sentPending struct {
		users  int
		landed bool
	}
	sent := map[int]*sentPending{}
	rolledBack := map[int]bool{}
	for _, w := range ops.writes {
		sh := &u.shards[w.shard]
		if rolledBack[w.shard] || w.job != nil && sh.job != w.job {
			continue // its shard resyncs afresh
		}
		if w.job == nil {
			p := sent[w.shard]
			if p == nil {
				p = &sentPending{landed: true}
				sent[w.shard] = p
			}
			p.users += w.users
		}
		status, mark, scard, werr := parseWrite(w.cmd)
		switch {
		case werr != nil:
			fail(werr)
			sh.maybe = w.mark
			if p := sent[w.shard]; p != nil {
				p.landed = false
			}
		case status == "ROLLBACK":
			ok = false
			u.rollbacks++
			rolledBack[w.shard] = true
			sh.acked, sh.maybe, sh.known = mark, mark, true
			u.markResync(w.shard)
			delete(sent, w.shard)
		default:
			sh.acked, sh.maybe, sh.known, sh.scard = w.mark, w.mark, true, scard
			if w.job != nil {
				w.job.pos = max(w.job.pos, w.end)
				w.job.done = w.job.done || w.end == len(w.job.users)
			}
		}
	}
	for s, p := range sent {
		if sh := &u.shards[s]; p.landed && p.users <= len(sh.pending) {
			u.backlog -= p.users
			sh.pending = append(sh.pending[:0], sh.pending[p.users:]...)
		}
	}
	kept := u.jobs[:0]
	for _, j := range u.jobs {
		if j.done {
			u.shards[j.shard].resync, u.shards[j.shard].job = false, nil
			continue
		}
		kept = append(kept, j)
	}
	clear(u.jobs[len(kept):])
	u.jobs = kept

	for s, cmd := range ops.verify {
		mark, scard, verr := parseVerify(cmd)
		if verr != nil {
			fail(verr)
			continue
		}
		sh := &u.shards[s]
		sh.scard = scard
		switch {
		case !sh.known || sh.resync || mark == sh.acked:
		case mark == sh.maybe:
			sh.acked = mark // the write whose answer was lost had landed
		default:
			ok = false
			u.rollbacks++
			sh.acked, sh.maybe = mark, mark
			u.markResync(s)
		}
	}
	return ok, err
}

// parseWrite reads addUsersScript's answer.
func parseWrite(cmd *redis.Cmd) (status, mark string, scard int64, err error) {
	res, err := cmd.Result()
	if err != nil {
		return "", "", 0, err
	}
	arr, _ := res.([]any)
	if len(arr) == 2 {
		status, _ = arr[0].(string)
		switch status {
		case "OK":
			if n, ok := arr[1].(int64); ok && n >= 0 && n <= maxUsers {
				return status, "", n, nil
			}
		case "ROLLBACK":
			if m, ok := arr[1].(string); ok && len(m) <= maxMarkLen {
				return status, m, 0, nil
			}
		}
	}
	return "", "", 0, fmt.Errorf("cluster: unexpected user-write reply %v", truncated(res))
}

// parseVerify reads verifyScript's answer.
func parseVerify(cmd *redis.Cmd) (mark string, scard int64, err error) {
	res, err := cmd.Result()
	if err != nil {
		return "", 0, err
	}
	if arr, _ := res.([]any); len(arr) == 2 {
		m, ok1 := arr[0].(string)
		n, ok2 := arr[1].(int64)
		if ok1 && ok2 && len(m) <= maxMarkLen && n >= 0 && n <= maxUsers {
			return m, n, nil
		}
	}
	return "", 0, fmt.Errorf("cluster: unexpected shard-check reply %v", truncated(res))
}

// maxMarkLen bounds a mark read back: 16 hex digits, a colon and a counter.
const maxMarkLen = 64

// truncated shows at most 100 bytes of a reply in an error.
func truncated(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return s
}
