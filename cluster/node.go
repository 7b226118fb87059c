package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onemrc/onemrc/decimal"
	"github.com/onemrc/onemrc/store"
)

// Config says how a node reaches its cluster.
type Config struct {
	URL      string // redis://[user:pass@]host:port[,host:port...]/db, rediss://, redis-sentinel://
	Password string // if set, the password, kept off the URL (and so off the command line)
	// PreviousPassword, after a password change, opens the seed sealed under the old
	// one (see PreviousPasswordEnv); it is sealed anew under the current one.
	PreviousPassword string
	NodeID           string        // unique per daemon; its totals are stored under it
	FlushInterval    time.Duration // default 100ms
	Timeout          time.Duration // per Redis round trip; default 1s
	// Keyed says the seed Dial proposes already keys users the node holds (it restored
	// them): the node cannot take another. A node without users takes the cluster's.
	Keyed bool
	Log   *slog.Logger
}

// Node is one daemon's link to the cluster.
type Node struct {
	cfg   Config
	rdb   redis.UniversalClient
	st    *store.Store
	log   *slog.Logger
	epoch string
	seed  [2]uint64
	token string // this process's lease token (random)
	// password is the effective Redis password (from the URL or Config.Password): it
	// seals the seed.
	password string

	// Flusher state, flusher goroutine only.
	seq     int64 // the last flush sequence number Redis acknowledged or refused as stale
	users   *userSync
	drained [][2]uint64 // the journal's keys, reused
	lastErr time.Time   // last time a failure was logged
	// last time a rollback was logged
	lastRollbackLog time.Time

	view atomic.Pointer[view]

	// For metrics, any goroutine.
	flushesOK     atomic.Uint64
	flushesFailed atomic.Uint64
	backlogUsers  atomic.Int64
	resyncShards  atomic.Int64
	rollbacks     atomic.Uint64 // user shards found to have lost this node's writes
	seedConflict  atomic.Bool   // Redis holds another seed: this node's users cannot merge
	lastOK        atomic.Int64  // unix nanos of the last acknowledged flush
	leaseLost     atomic.Bool   // another process took the node id; no more flushes

	flushMu sync.Mutex // one flush at a time (the ticker's and the final one)
	stop    chan struct{}
	done    chan struct{}
}

// view is the cluster as the last acknowledged flush saw it, minus this node.
type view struct {
	at     time.Time
	unique uint64
	nodes  int
	others *store.Totals // the other nodes' count and exact sum
}

// Dial connects to Redis and joins the cluster: it agrees on the epoch and the user-hash
// seed (proposing proposed: a restored checkpoint's seed, or a fresh one; see join),
// takes the lease on its node id, and reads the last flush sequence number stored under
// it. The store must then be made (or checked) with Seed(). It fails if Redis cannot be
// reached within ctx (a node cannot hash users before it knows the cluster's seed), or
// if another live process holds the node id's lease: Dial waits up to
// LeaseWait(FlushInterval) for it to expire (the lease of this daemon's previous run,
// which crashed), and up to SeedGrace for a seed proposed by a node without users to
// settle, so ctx should allow that much more.
func Dial(ctx context.Context, cfg Config, proposed [2]uint64) (*Node, error) {
	opts, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Password != "" {
		opts.Password = cfg.Password
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 100 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	opts.ReadTimeout, opts.WriteTimeout, opts.DialTimeout = cfg.Timeout, cfg.Timeout, cfg.Timeout
	opts.MaxRetries = -1 // the flusher retries on its own schedule, with newer totals
	redis.SetLogger(redisLogger{cfg.Log})
	n := &Node{cfg: cfg, log: cfg.Log, token: newToken(), password: opts.Password, stop: make(chan struct{}), done: make(chan struct{})}
	n.users = newUserSync(n.token)
	for {
		if n.rdb == nil {
			n.rdb, err = newClient(ctx, opts)
		}
		if err == nil {
			n.epoch, n.seed, err = n.join(ctx, proposed, cfg.Keyed)
			if _, conflict := err.(seedError); conflict || err == errSeedSealed || err == errSeedOtherSealed {
				n.rdb.Close()
				return nil, err
			}
		}
		if err == nil {
			break
		}
		if permanent(err) {
			if n.rdb != nil {
				n.rdb.Close()
			}
			return nil, fmt.Errorf("cluster: joining %s: %w", Redact(cfg.URL), err)
		}
		select {
		case <-ctx.Done():
			if n.rdb != nil {
				n.rdb.Close()
			}
			return nil, fmt.Errorf("cluster: joining %s: %w", Redact(cfg.URL), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	fail := func(err error) (*Node, error) {
		n.rdb.Close()
		return nil, err
	}
	if err := n.takeLease(ctx); err != nil {
		if _, ok := err.(heldError); ok {
			return fail(err)
		}
		return fail(fmt.Errorf("cluster: taking the lease on node id %q at %s: %w", cfg.NodeID, Redact(cfg.URL), err))
	}
	if n.seq, err = readSeq(ctx, n.rdb, cfg.NodeID); err != nil {
		return fail(fmt.Errorf("cluster: node id %q at %s: %w", cfg.NodeID, Redact(cfg.URL), err))
	}
	if err := loadScripts(ctx, n.rdb); err != nil {
		return fail(fmt.Errorf("cluster: loading scripts into %s: %w", Redact(cfg.URL), err))
	}
	return n, nil
}

// permanent reports whether a failure to reach Redis is one that waiting cannot cure: a
// certificate that does not verify, a password Redis refuses.
func permanent(err error) bool {
	var cert *tls.CertificateVerificationError
	return errors.As(err, &cert) ||
		redis.HasErrorPrefix(err, "WRONGPASS") || redis.HasErrorPrefix(err, "NOAUTH") || redis.HasErrorPrefix(err, "NOPERM")
}

// redisLogger sends the Redis client's own messages (dial failures, sentinel's master
// changes) to the daemon's log, as warnings, instead of stderr in another format.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn("redis client: " + fmt.Sprintf(format, v...))
}

// Seed is the cluster's user-hash seed.
func (n *Node) Seed() [2]uint64 { return n.seed }

// StoredTotals returns what Redis holds for this node id (from an earlier run), if any.
func (n *Node) StoredTotals(ctx context.Context) (t Totals, ok bool, err error) {
	nt, ok, err := readNode(ctx, n.rdb, n.cfg.NodeID)
	return nt.Totals, ok, err
}

// Start begins flushing st every FlushInterval. st must have its journal enabled.
func (n *Node) Start(st *store.Store) {
	n.st = st
	go n.run()
}

func (n *Node) run() {
	defer close(n.done)
	t := time.NewTicker(n.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
			// A node that is behind (a burst of new users, a resync) flushes again as
			// soon as a flush lands, rather than wait a tick: its pace is Redis's
			// answers, a command of at most batchUsers users at a time. A failed flush
			// waits for the next tick.
			for n.Flush(context.Background()) == nil && n.behind() {
				select {
				case <-n.stop:
					return
				default:
				}
			}
		}
	}
}

// behind reports whether users are waiting to reach Redis, as of the last flush.
func (n *Node) behind() bool { return n.backlogUsers.Load() > 0 || n.resyncShards.Load() > 0 }

// Close stops the flusher, makes a last attempt to flush within ctx, releases the lease
// (if this process still holds it) and disconnects.
func (n *Node) Close(ctx context.Context) error {
	if n.st != nil {
		close(n.stop)
		<-n.done
	}
	var err error
	if n.st != nil {
		err = n.Flush(ctx)
	}
	if !n.leaseLost.Load() {
		rctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
		if rerr := n.releaseLease(rctx); rerr != nil && err == nil {
			err = fmt.Errorf("cluster: releasing the lease: %w", rerr)
		}
		cancel()
	}
	n.rdb.Close()
	return err
}

// Flush sends Redis, in one pipelined round trip, the node's totals (one script on the
// {onemrc} slot, guarded by the lease and the sequence number), the users new since the
// last acknowledged flush and the next batches of any resync (scripts on their shards,
// each checking the node's mark), and, every verifyEvery, a check of every shard. It
// counts as ok only if every command landed.
func (n *Node) Flush(ctx context.Context) error {
	n.flushMu.Lock()
	defer n.flushMu.Unlock()
	if n.leaseLost.Load() {
		n.flushesFailed.Add(1)
		return ErrLeaseLost
	}
	if n.seedConflict.Load() {
		if err := n.rejoin(ctx); err != nil {
			n.flushesFailed.Add(1)
			return err
		}
	}
	n.drained = n.st.DrainJournal(n.drained[:0])
	n.users.add(n.drained)

	snap := n.st.Snapshot()
	sum := snap.SumDecimal()
	seq := n.seq + 1

	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout+time.Second)
	defer cancel()
	pipe := n.rdb.Pipeline()
	ops := n.users.queue(ctx, pipe, n.st, n.cfg.NodeID, time.Now())
	res := flushScript.EvalSha(ctx, pipe, scriptKeys(n.cfg.NodeID), n.token, LeaseTTL(n.cfg.FlushInterval).Milliseconds(),
		n.epoch, n.cfg.NodeID, seq, snap.TotalRequests, sum.Mant().String(), sum.Scale())
	_, execErr := pipe.Exec(ctx)
	if execErr != nil && redis.HasErrorPrefix(execErr, "NOSCRIPT") {
		// Redis restarted (or failed over) and forgot the scripts; the next flush has them.
		_ = loadScripts(ctx, n.rdb)
	}
	rollbacks := n.users.rollbacks
	usersOK, err := n.users.settle(ops)
	users, shards := n.users.behind(n.st)
	if n.users.rollbacks > rollbacks && time.Since(n.lastRollbackLog) > 5*time.Second {
		n.lastRollbackLog = time.Now()
		n.log.Warn("cluster: redis lost users this node had written (a restart from an older snapshot, or a failover); resending them from the store",
			"node", n.cfg.NodeID, "shards_to_resend", shards, "users_behind", users)
	}
	val, terr := res.Result()
	if terr == nil {
		terr = n.accept(val)
	}
	if terr != nil {
		err = terr
	}
	n.backlogUsers.Store(int64(users))
	n.resyncShards.Store(int64(shards))
	n.rollbacks.Store(n.users.rollbacks)
	if terr == nil {
		n.seq = seq
	}
	if terr != nil || !usersOK {
		n.flushesFailed.Add(1)
		var stale staleError
		if errors.As(err, &stale) {
			n.seq = max(n.seq, stale.seq)
		}
		switch {
		case err == ErrLeaseLost:
			n.leaseLost.Store(true)
			n.log.Error("cluster: ANOTHER PROCESS TOOK THIS NODE'S ID: its lease in redis holds another token; this node flushes no more (restart it under a unique -node-id)",
				"node", n.cfg.NodeID, "unflushed_users", users)
		case err == errEpoch:
			_ = n.rejoin(ctx)
		case err == nil:
			err = errRollback // only refused user writes, logged above
		case time.Since(n.lastErr) > 5*time.Second:
			n.lastErr = time.Now()
			n.log.Warn("cluster flush failed; keeping the backlog", "err", err, "users_behind", users,
				"since_last_flush", time.Since(time.Unix(0, n.lastOK.Load())).Round(time.Millisecond))
		}
		return err
	}
	n.flushesOK.Add(1)
	n.lastOK.Store(time.Now().UnixNano())
	return nil
}

// errRollback means Redis had lost writes of this node's: the node resends them.
var errRollback = errors.New("cluster: redis lost users this node had written; resending them")

// accept caches the cluster view from a successful flush.
func (n *Node) accept(res any) error {
	nodes, err := parseView(res)
	if err != nil {
		return err
	}
	unique := n.users.unique()
	var (
		count uint64
		sum   decimal.Decimal
	)
	for _, t := range nodes {
		if t.node == n.cfg.NodeID {
			continue
		}
		count += t.Count
		sum.Add(t.Sum)
	}
	n.view.Store(&view{at: time.Now(), unique: unique, nodes: len(nodes), others: store.NewTotals(count, &sum)})
	return nil
}

// rejoin handles a Redis that lost its data: join again under our seed and resend all.
func (n *Node) rejoin(ctx context.Context) error {
	epoch, seed, err := n.join(ctx, n.seed, true)
	if err != nil {
		if _, conflict := err.(seedError); conflict {
			if !n.seedConflict.Swap(true) {
				n.log.Error("cluster: redis holds another user-hash seed; this node cannot merge its users and flushes no more until it does not", "node", n.cfg.NodeID, "err", err)
			}
		}
		return err // retried on the next flush
	}
	if seed != n.seed {
		return seedError{} // join keeps ours or refuses; never reached
	}
	n.seedConflict.Store(false)
	n.log.Warn("cluster: redis lost its data; resending this node's users and totals", "node", n.cfg.NodeID)
	n.epoch = epoch
	n.users.rolledBack()
	_ = loadScripts(ctx, n.rdb)
	return nil
}
