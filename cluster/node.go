package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onemrc/onemrc/store"
)

// Config says how a node reaches its cluster.
type Config struct {
	URL           string        // redis://[user:pass@]host:port/db
	Password      string        // if set, the password, kept off the URL (and so off the command line)
	NodeID        string        // unique per daemon; its totals are stored under it
	FlushInterval time.Duration // default 100ms
	Timeout       time.Duration // per Redis round trip; default 1s
	Log           *slog.Logger
}

// Node is one daemon's link to the cluster.
type Node struct {
	cfg   Config
	rdb   *redis.Client
	st    *store.Store
	log   *slog.Logger
	epoch string
	seed  [2]uint64
	token string // this process's lease token (random)

	// Flusher state, flusher goroutine only.
	seq      int64
	pending  [][2]uint64 // user keys not yet in an acknowledged flush
	fullSync bool        // resend every user (after joining, or when Redis lost its data)
	lastErr  time.Time   // last time a failure was logged

	view atomic.Pointer[view]

	// For metrics, any goroutine.
	flushesOK     atomic.Uint64
	flushesFailed atomic.Uint64
	backlogUsers  atomic.Int64
	lastOK        atomic.Int64 // unix nanos of the last acknowledged flush
	leaseLost     atomic.Bool  // another process took the node id; no more flushes

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
// seed (proposing proposed: a restored checkpoint's seed, or a fresh one), then takes the
// lease on its node id. The store must then be made (or checked) with Seed(). It fails if
// Redis cannot be reached within ctx (a node cannot hash users before it knows the
// cluster's seed), or if another live process holds the node id's lease: Dial waits up
// to LeaseWait(FlushInterval) for it to expire (the lease of this daemon's previous run,
// which crashed), so ctx should allow that much more.
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
	n := &Node{cfg: cfg, rdb: redis.NewClient(opts), log: cfg.Log, fullSync: true, token: newToken(),
		stop: make(chan struct{}), done: make(chan struct{})}
	for {
		n.epoch, n.seed, err = join(ctx, n.rdb, proposed)
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			n.rdb.Close()
			return nil, fmt.Errorf("cluster: joining %s: %w", Redact(cfg.URL), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err := n.takeLease(ctx); err != nil {
		n.rdb.Close()
		if _, ok := err.(heldError); ok {
			return nil, err
		}
		return nil, fmt.Errorf("cluster: taking the lease on node id %q at %s: %w", cfg.NodeID, Redact(cfg.URL), err)
	}
	return n, nil
}

// Seed is the cluster's user-hash seed.
func (n *Node) Seed() [2]uint64 { return n.seed }

// StoredTotals returns what Redis holds for this node id (from an earlier run), if any.
func (n *Node) StoredTotals(ctx context.Context) (count uint64, mant *big.Int, scale int, ok bool, err error) {
	t, ok, err := readNode(ctx, n.rdb, n.cfg.NodeID)
	return t.count, t.mant, t.scale, ok, err
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
			_ = n.Flush(context.Background())
		}
	}
}

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

// Flush sends everything new since the last acknowledged flush, in one round trip.
func (n *Node) Flush(ctx context.Context) error {
	n.flushMu.Lock()
	defer n.flushMu.Unlock()
	if n.leaseLost.Load() {
		n.flushesFailed.Add(1)
		return ErrLeaseLost
	}
	n.pending = n.st.DrainJournal(n.pending)
	users := n.pending
	if n.fullSync {
		// Every user this node knows; the journal's are among them.
		users = n.st.State().Users
	}
	n.backlogUsers.Store(int64(len(users)))

	snap := n.st.Snapshot()
	mant, scale := snap.SumDecimal()
	seq := max(n.seq+1, time.Now().UnixNano())

	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout+time.Duration(len(users)/10000)*time.Second)
	defer cancel()
	keys := scriptKeys(n.cfg.NodeID)
	ttl := LeaseTTL(n.cfg.FlushInterval).Milliseconds()
	pipe := n.rdb.TxPipeline()
	const chunk = 4096 // under Lua's limit of 8000 values unpacked at once
	for i := 0; i < len(users); i += chunk {
		args := make([]any, 0, 2+chunk)
		args = append(args, n.token, ttl)
		for _, k := range users[i:min(i+chunk, len(users))] {
			args = append(args, userMember(k))
		}
		addUsersScript.Eval(ctx, pipe, []string{keys[0], keyUsers}, args...)
	}
	res := flushScript.Eval(ctx, pipe, keys, n.token, ttl, n.epoch, n.cfg.NodeID, seq,
		snap.TotalRequests, mant.String(), scale)
	_, err := pipe.Exec(ctx)
	if err == nil {
		var val any
		val, err = res.Result()
		if err == nil {
			err = n.accept(val)
		}
	}
	if err != nil {
		n.flushesFailed.Add(1)
		var stale staleError
		if errors.As(err, &stale) {
			n.seq = max(n.seq, stale.seq)
		}
		if err == ErrLeaseLost {
			n.leaseLost.Store(true)
			n.log.Error("cluster: ANOTHER PROCESS TOOK THIS NODE'S ID: its lease in redis holds another token; this node flushes no more (restart it under a unique -node-id)",
				"node", n.cfg.NodeID, "unflushed_users", len(users))
		} else if err == errEpoch {
			n.rejoin(ctx)
		} else if time.Since(n.lastErr) > 5*time.Second {
			n.lastErr = time.Now()
			n.log.Warn("cluster flush failed; keeping the backlog", "err", err, "backlog_users", len(users),
				"since_last_flush", time.Since(time.Unix(0, n.lastOK.Load())).Round(time.Millisecond))
		}
		return err
	}
	n.pending = n.pending[:0]
	n.fullSync = false
	n.seq = seq
	n.backlogUsers.Store(0)
	n.flushesOK.Add(1)
	n.lastOK.Store(time.Now().UnixNano())
	return nil
}

// accept caches the cluster view from a successful flush.
func (n *Node) accept(res any) error {
	unique, nodes, err := parseView(res)
	if err != nil {
		return err
	}
	var count uint64
	mant, scale := new(big.Int), 0
	for _, t := range nodes {
		if t.node == n.cfg.NodeID {
			continue
		}
		count += t.count
		mant, scale = addDecimal(mant, scale, t.mant, t.scale)
	}
	n.view.Store(&view{at: time.Now(), unique: unique, nodes: len(nodes), others: store.NewTotals(count, mant, scale)})
	return nil
}

// rejoin handles a Redis that lost its data: join again under our seed and resend all.
func (n *Node) rejoin(ctx context.Context) {
	epoch, seed, err := join(ctx, n.rdb, n.seed)
	if err != nil {
		return // retried on the next flush
	}
	if seed != n.seed {
		n.log.Error("cluster: redis holds another user-hash seed; this node cannot merge its users", "node", n.cfg.NodeID)
		return
	}
	n.log.Warn("cluster: redis lost its data; resending this node's users and totals", "node", n.cfg.NodeID)
	n.epoch = epoch
	n.fullSync = true
}

// addDecimal returns a*10^as + b*10^bs as m*10^scale, exactly.
func addDecimal(a *big.Int, as int, b *big.Int, bs int) (*big.Int, int) {
	scale := min(as, bs)
	x := new(big.Int).Mul(a, pow10(as-scale))
	y := new(big.Int).Mul(b, pow10(bs-scale))
	return x.Add(x, y), scale
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// AppendStats appends the cluster-wide /stats JSON: the other nodes' totals as of the
// last acknowledged flush plus this node's live ones (so an event this node acknowledged
// is in it at once), the cluster's unique users as of that flush, and how fresh that is:
// {"totalRequests":N,"uniqueUsers":U,"sum":S,"avg":A,"scope":"cluster","nodes":K,"ageMs":M}.
// Before the first flush it reports this node alone with "nodes":0.
func (n *Node) AppendStats(dst []byte, local *store.Snapshot) []byte {
	v := n.view.Load()
	snap := *local
	nodes, age := 0, int64(-1)
	if v != nil {
		// The other nodes' exact sum was made once per flush; adding it costs integer
		// adds, and with slow values one conversion per change (see store.Totals).
		snap = v.others.AddTo(local)
		snap.UniqueUsers = max(v.unique, local.UniqueUsers)
		nodes, age = v.nodes, time.Since(v.at).Milliseconds()
	}
	snap.UniqueUsers = min(snap.UniqueUsers, snap.TotalRequests)
	dst = store.AppendStats(dst, &snap)
	dst = append(dst[:len(dst)-1], `,"scope":"cluster","nodes":`...)
	dst = strconv.AppendInt(dst, int64(nodes), 10)
	dst = append(dst, `,"ageMs":`...)
	dst = strconv.AppendInt(dst, age, 10)
	return append(dst, '}')
}

// Metrics is the flusher's state for /metrics.
type Metrics struct {
	FlushesOK, FlushesFailed uint64
	BacklogUsers             int64
	SinceLastFlush           time.Duration // since the last acknowledged flush; -1s before the first
	LeaseLost                bool          // another process took the node id (see LeaseLost)
}

// Metrics returns the flusher's counters (any goroutine).
func (n *Node) Metrics() Metrics {
	m := Metrics{FlushesOK: n.flushesOK.Load(), FlushesFailed: n.flushesFailed.Load(), BacklogUsers: n.backlogUsers.Load(), SinceLastFlush: -time.Second,
		LeaseLost: n.leaseLost.Load()}
	if t := n.lastOK.Load(); t != 0 {
		m.SinceLastFlush = time.Since(time.Unix(0, t))
	}
	return m
}
