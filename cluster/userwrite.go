package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onemrc/onemrc/store"
)

// One flush's user-set commands: queued into the flush's pipeline (queue), then
// read back (settle), shard by shard, against the marks of userSync.

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
