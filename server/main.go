package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/onemrc/onemrc/cluster"
	"github.com/onemrc/onemrc/loop"
	"github.com/onemrc/onemrc/pipeline"
	"github.com/onemrc/onemrc/store"
	"github.com/onemrc/onemrc/wal"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cfg, err := parseConfig(args, os.LookupEnv, os.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "onemrcd: %v\nRun onemrcd -h for the flags.\n", err)
		}
		return exitCode(err)
	}
	if cfg.version {
		fmt.Println(versionLine())
		return 0
	}
	cfg.memory.apply(os.LookupEnv)
	log := newLogger(os.Stderr, cfg.logFormat, cfg.logLevel)

	adm, err := listenAdmin(cfg)
	if err != nil {
		log.Error("onemrcd cannot start", "err", err)
		return 1
	}
	defer adm.close()

	if cfg.cluster != "" {
		if cfg.nodeID, err = resolveNodeID(cfg.dataDir, cfg.nodeID, defaultNodeID(cfg.addr)); err != nil {
			log.Error("onemrcd cannot start", "err", err)
			return 1
		}
	}
	var (
		st   *store.Store
		node *cluster.Node
		rec  wal.Recovery
	)
	if cfg.cluster != "" {
		st, node, rec, err = openClusterStore(cfg, log)
	} else {
		st, rec, err = recoverStore(cfg.dataDir, log)
	}
	if err != nil {
		log.Error("onemrcd cannot start", "err", err)
		return 1
	}
	var wlog *wal.Log
	if cfg.dataDir != "" {
		if wlog, err = openLog(cfg, st, rec, log); err != nil {
			log.Error("onemrcd cannot start", "err", err)
			return 1
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	logFailed := make(chan struct{})
	var failOnce sync.Once
	ready := new(pipeline.Readiness)
	d := &daemon{
		Server: loop.NewServer(st, loop.Config{
			Pipeline: pipeline.Config{
				Limits:           cfg.limits,
				MaxPendingOutput: cfg.maxOutput,
				MaxBatchBytes:    cfg.maxBatchBytes,
				MaxBatchEvents:   cfg.maxBatchEvents,
				Cluster:          clusterStats(node),
				Readiness:        ready,
			},
			MaxConns: cfg.maxConns,
			Timeouts: cfg.timeouts,
			Log:      loopLog(wlog),
			Fsync:    cfg.fsync.mode,
			LogFailed: func(err error) {
				// Nothing can be acknowledged any more: stop rather than serve events whose
				// 200 would be a lie (the log's first error is final; see package wal).
				failOnce.Do(func() {
					log.Error("write-ahead log failed: stopping", "err", err)
					close(logFailed)
				})
			},
		}),
		log:   log,
		cfg:   cfg,
		ready: ready,
	}

	adm.serve(newRegistry(d.Server, st, node, wlog), log)

	if node != nil {
		node.Start(st)
	}

	go d.stopOn(ctx, logFailed)

	err = gnet.Run(d, "tcp://"+cfg.addr,
		gnet.WithMulticore(true),
		gnet.WithNumEventLoop(cfg.loops),
		gnet.WithReusePort(cfg.reusePort),
		// A restart binds at once, though the connections of the previous process sit in
		// TIME_WAIT on this port.
		gnet.WithReuseAddr(true),
		// One read is what one batch answers: its size bounds the answers a connection
		// can have queued (loop.ReadSize). The engine stays level-triggered: pausing reads
		// depends on it (loop/pause_linux.go).
		gnet.WithReadBufferCap(loop.ReadSize),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithTicker(true),
		gnet.WithLogger(gnetLogger{log}),
	)
	if err != nil {
		log.Error("onemrcd stopped", "err", err)
		return 1
	}
	// OnShutdown runs before the loops stop: only now is every loop's last batch published.
	code := 0
	if node != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := node.Close(ctx); err != nil {
			log.Warn("last cluster flush failed; the log keeps the node's totals", "err", err)
		}
		cancel()
	}
	if wlog != nil {
		if err := wlog.Close(); err != nil {
			log.Error("closing the write-ahead log", "err", err)
			code = 1
		}
	}
	select {
	case <-logFailed:
		code = 1
	default:
	}
	snap := st.Snapshot()
	log.Info("onemrcd stopped", "totalRequests", snap.TotalRequests, "uniqueUsers", snap.UniqueUsers,
		"sum", snap.Sum(), "avg", snap.Avg())
	return code
}

// daemon adds the process's concerns (logging, readiness, shutdown) to the event handler.
type daemon struct {
	*loop.Server
	log   *slog.Logger
	cfg   config
	ready *pipeline.Readiness
}

func (d *daemon) OnBoot(e gnet.Engine) gnet.Action {
	d.log.Info("onemrcd listening", "addr", d.cfg.addr, "loops", d.cfg.loops,
		"reuseport", d.cfg.reusePort, "version", buildVersion(), "rev", buildRevision())
	// The restore and the cluster join are done before the engine runs: from the first
	// connection on, the daemon serves.
	d.ready.SetReady()
	return d.Server.OnBoot(e)
}

// stopOn stops the engine once ctx is done (SIGINT, SIGTERM) or the log failed. A signal
// drains first: /ready answers 503 at once while the daemon keeps serving for
// -drain-timeout, so that load balancers stop sending; then connections are let go as
// their requests finish (loop.Server.Quiesce), the answers the log holds are let out, and
// gnet stops, flushing what each connection still owes. A failed log skips the drain: it
// can acknowledge nothing more. A second SIGINT or SIGTERM during any of that exits at
// once, as operators expect of a stop that hangs.
func (d *daemon) stopOn(ctx context.Context, logFailed <-chan struct{}) {
	drain := d.cfg.drainTime
	select {
	case <-ctx.Done():
	case <-logFailed:
		drain = 0
	}
	d.ready.SetDraining()
	d.log.Info("onemrcd stopping", "open_connections", d.OpenConnections(), "drain_timeout", drain)
	again := make(chan os.Signal, 1)
	signal.Notify(again, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-again
		d.log.Warn("second signal during shutdown: exiting now", "signal", sig.String())
		os.Exit(1)
	}()
	if drain > 0 {
		select {
		case <-time.After(drain):
		case <-logFailed:
		}
	}
	for {
		if e, ok := d.Engine(); ok {
			d.quiesce()
			fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := d.Flush(fctx); err != nil {
				d.log.Warn("answers still held for the log at shutdown", "err", err)
			}
			fcancel()
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := e.Stop(sctx); err != nil {
				d.log.Error("stop", "err", err)
			}
			return
		}
		// A signal that arrives before the engine booted waits for it.
		time.Sleep(10 * time.Millisecond)
	}
}

// quiesce lets the connections go as their requests finish and waits until they are
// closed, at most as long as a request may take to arrive (-header-timeout plus
// -body-timeout, which close the slow ones anyway) plus the lingering close.
func (d *daemon) quiesce() {
	d.Quiesce()
	limit := d.cfg.timeouts.Header + d.cfg.timeouts.Body + 2*time.Second
	deadline := time.Now().Add(limit)
	for d.OpenConnections() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := d.OpenConnections(); n > 0 {
		d.log.Warn("connections still open after the drain: closing them", "open_connections", n)
	}
}

// gnetLogger sends gnet's own log lines to the daemon's slog logger.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) Debugf(format string, args ...any) {
	g.l.Debug(fmt.Sprintf(format, args...), "component", "gnet")
}
func (g gnetLogger) Infof(format string, args ...any) {
	g.l.Debug(fmt.Sprintf(format, args...), "component", "gnet")
}
func (g gnetLogger) Warnf(format string, args ...any) {
	g.l.Warn(fmt.Sprintf(format, args...), "component", "gnet")
}
func (g gnetLogger) Errorf(format string, args ...any) {
	g.l.Error(fmt.Sprintf(format, args...), "component", "gnet")
}
func (g gnetLogger) Fatalf(format string, args ...any) {
	g.l.Error(fmt.Sprintf(format, args...), "component", "gnet")
	os.Exit(1)
}

// clusterStats keeps a nil *cluster.Node from becoming a non-nil interface.
func clusterStats(n *cluster.Node) pipeline.ClusterStats {
	if n == nil {
		return nil
	}
	return n
}
