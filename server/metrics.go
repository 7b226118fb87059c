package main

import (
	"runtime"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/onemrc/onemrc/cluster"
	"github.com/onemrc/onemrc/loop"
	"github.com/onemrc/onemrc/pipeline"
	"github.com/onemrc/onemrc/store"
	"github.com/onemrc/onemrc/wal"
)

// onemrc exposes its metrics with github.com/prometheus/client_golang: the reference
// implementation of the exposition format, with const-metric collectors that let us build
// every series at scrape time from the loops' published counters (so no request touches
// a shared atomic), const histograms for per-loop buckets merged at scrape, the process and
// Go runtime collectors, and a text parser in prometheus/common for our tests.

var (
	descRequests = prometheus.NewDesc("http_requests_total",
		"HTTP requests answered, by method, endpoint and status.", []string{"method", "endpoint", "status"}, nil)
	descEventsProcessed = prometheus.NewDesc("events_processed_total",
		"Events accepted and counted (the totalRequests of /stats).", nil, nil)
	descEventsFailed = prometheus.NewDesc("events_failed_total",
		"POST /event requests rejected for their body, by reason.", []string{"reason"}, nil)
	descUniqueUsers = prometheus.NewDesc("unique_users_total",
		"Distinct userIds seen (the uniqueUsers of /stats).", nil, nil)
	// Not event_values_sum_total, nor _sum: those suffixes are a counter's and a
	// histogram's (promtool check metrics), and negative values lower this sum.
	descValuesSum = prometheus.NewDesc("event_values",
		"Sum of accepted event values (the sum of /stats). A gauge: negative values may lower it.", nil, nil)
	descInFlight = prometheus.NewDesc("http_requests_in_flight",
		"Requests whose bytes have started to arrive and that are not answered yet, by method and endpoint as far as the request line had arrived when the request began to span reads (other before).", []string{"method", "endpoint"}, nil)
	descDuration = prometheus.NewDesc("http_request_duration_seconds",
		"Time from the read that brought a request's first byte to the end of the batch that answered it, by method and endpoint.", []string{"method", "endpoint"}, nil)
	descBuildInfo = prometheus.NewDesc("onemrc_build_info",
		"1, labelled with the daemon's version, VCS revision and Go version.", []string{"version", "revision", "goversion"}, nil)
	descOpen = prometheus.NewDesc("onemrc_open_connections",
		"Client connections open now.", nil, nil)
	descRejected = prometheus.NewDesc("onemrc_connections_rejected_total",
		"Connections answered 503 because -max-conns were open.", nil, nil)
	descLoopRequests = prometheus.NewDesc("onemrc_loop_requests_total",
		"Requests answered by each event loop.", []string{"loop"}, nil)
	descBytesIn = prometheus.NewDesc("onemrc_received_bytes_total",
		"Bytes read from clients.", nil, nil)
	descBytesOut = prometheus.NewDesc("onemrc_sent_bytes_total",
		"Response bytes written to clients.", nil, nil)
	descParseErrors = prometheus.NewDesc("onemrc_parse_errors_total",
		"Requests rejected by the HTTP parser, by kind; each closed its connection.", []string{"kind"}, nil)
	descTimeouts = prometheus.NewDesc("onemrc_timeouts_total",
		"Connections closed because a timeout ran out, by phase: header and body (answered 408), send (answers queued and unread for -idle-timeout), linger (the 2 s of a lingering close).", []string{"phase"}, nil)
	descIdleClosed = prometheus.NewDesc("onemrc_idle_closed_total",
		"Keep-alive connections closed after -idle-timeout without a request.", nil, nil)
	descClusterFlushes = prometheus.NewDesc("onemrc_cluster_flushes_total",
		"Flushes of this node's totals to the cluster, by result.", []string{"result"}, nil)
	descClusterBacklog = prometheus.NewDesc("onemrc_cluster_backlog_users",
		"User keys not yet in Redis: new ones (at most 1,048,576 held; past it their shards are resent from the store) and the rest of resyncs under way.", nil, nil)
	descWALSyncs = prometheus.NewDesc("onemrc_wal_fsyncs_total",
		"fdatasyncs of the write-ahead log (-data-dir); onemrc_wal_synced_records_total / this is the mean group commit.", nil, nil)
	descWALSynced = prometheus.NewDesc("onemrc_wal_synced_records_total",
		"Log records made durable, summed over fdatasyncs.", nil, nil)
	descWALRecords = prometheus.NewDesc("onemrc_wal_records_total",
		"Records written to the log (one per loop and turn with events).", nil, nil)
	descWALBytes = prometheus.NewDesc("onemrc_wal_written_bytes_total",
		"Bytes written to the log.", nil, nil)
	descWALCompactions = prometheus.NewDesc("onemrc_wal_compactions_total",
		"Snapshots written by the compactor.", nil, nil)
	descWALFailed = prometheus.NewDesc("onemrc_wal_failed",
		"1 once a write or fdatasync of the log failed (the daemon then stops).", nil, nil)
	descClusterLag = prometheus.NewDesc("onemrc_cluster_seconds_since_flush",
		"Seconds since the last acknowledged flush (-1 before the first).", nil, nil)
	descClusterLeaseLost = prometheus.NewDesc("onemrc_cluster_lease_lost",
		"1 once another process took this node's id (its lease in Redis): the node flushes no more.", nil, nil)
	descClusterResync = prometheus.NewDesc("onemrc_cluster_resync_shards",
		"User-set shards waiting to be resent from this node's store (after joining, or when Redis lost writes).", nil, nil)
	descClusterRollbacks = prometheus.NewDesc("onemrc_cluster_rollbacks_total",
		"User-set shards found to have lost writes of this node (Redis restarted from an older snapshot, or failed over).", nil, nil)
	descClusterSeedConflict = prometheus.NewDesc("onemrc_cluster_seed_conflict",
		"1 while Redis holds another user-hash seed than this node's users are keyed by: the node flushes no more.", nil, nil)
)

// collector builds every onemrc series at scrape time.
type collector struct {
	srv  *loop.Server
	st   *store.Store
	node *cluster.Node // nil unless -cluster
	wal  *wal.Log      // nil unless -data-dir
}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRequests, descEventsProcessed, descEventsFailed, descUniqueUsers,
		descValuesSum, descInFlight, descDuration, descBuildInfo, descOpen, descRejected, descLoopRequests, descBytesIn,
		descBytesOut, descParseErrors, descTimeouts, descIdleClosed, descClusterFlushes, descClusterBacklog, descClusterLag, descClusterLeaseLost,
		descClusterResync, descClusterRollbacks, descClusterSeedConflict,
		descWALSyncs, descWALSynced, descWALRecords, descWALBytes, descWALCompactions, descWALFailed} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	m := c.srv.Metrics()
	snap := c.st.Snapshot()
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, r := range m.Requests {
		status := "other"
		if r.Status != 0 {
			status = strconv.Itoa(r.Status)
		}
		counter(descRequests, float64(r.Count), r.Method, r.Endpoint, status)
	}
	counter(descEventsProcessed, float64(snap.TotalRequests))
	for _, e := range m.BodyErrors {
		counter(descEventsFailed, float64(e.Count), e.Label)
	}
	counter(descUniqueUsers, float64(snap.UniqueUsers))
	gauge(descValuesSum, snap.Sum())
	for _, e := range m.Endpoints {
		gauge(descInFlight, float64(e.InFlight), e.Method, e.Endpoint)
		buckets := make(map[float64]uint64, len(pipeline.DurationBuckets))
		var cumulative uint64
		for i, upper := range pipeline.DurationBuckets {
			cumulative += e.DurationCounts[i]
			buckets[upper] = cumulative
		}
		total := cumulative + e.DurationCounts[len(pipeline.DurationBuckets)]
		ch <- prometheus.MustNewConstHistogram(descDuration, total, e.DurationSum, buckets, e.Method, e.Endpoint)
	}
	gauge(descBuildInfo, 1, buildLabels()...)

	gauge(descOpen, float64(m.Open))
	counter(descRejected, float64(m.Rejected))
	for i, n := range m.LoopRequests {
		counter(descLoopRequests, float64(n), strconv.Itoa(i))
	}
	counter(descBytesIn, float64(m.BytesIn))
	counter(descBytesOut, float64(m.BytesOut))
	for _, e := range m.FramingErrors {
		counter(descParseErrors, float64(e.Count), e.Label)
	}
	counter(descTimeouts, float64(m.HeaderTimeouts), "header")
	counter(descTimeouts, float64(m.BodyTimeouts), "body")
	counter(descTimeouts, float64(m.SendTimeouts), "send")
	counter(descTimeouts, float64(m.LingerTimeouts), "linger")
	counter(descIdleClosed, float64(m.IdleClosed))
	if c.wal != nil {
		ws := c.wal.Stats()
		counter(descWALSyncs, float64(ws.Syncs))
		counter(descWALSynced, float64(ws.SyncedRecords))
		counter(descWALRecords, float64(ws.Records))
		counter(descWALBytes, float64(ws.Bytes))
		counter(descWALCompactions, float64(ws.Compactions))
		gauge(descWALFailed, oneIf(ws.Failed))
	}
	if c.node != nil {
		cm := c.node.Metrics()
		counter(descClusterFlushes, float64(cm.FlushesOK), "ok")
		counter(descClusterFlushes, float64(cm.FlushesFailed), "failed")
		gauge(descClusterBacklog, float64(cm.BacklogUsers))
		gauge(descClusterLag, cm.SinceLastFlush.Seconds())
		gauge(descClusterLeaseLost, oneIf(cm.LeaseLost))
		gauge(descClusterResync, float64(cm.ResyncShards))
		counter(descClusterRollbacks, float64(cm.Rollbacks))
		gauge(descClusterSeedConflict, oneIf(cm.SeedConflict))
	}
}

// oneIf is a state gauge's value: 1 while b holds.
func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// buildLabels is the label values of onemrc_build_info: the version -version prints,
// the revision it prints, and the Go release that built the binary. Read once: they
// never change.
var buildLabels = sync.OnceValue(func() []string {
	return []string{buildVersion(), buildRevision(), runtime.Version()}
})

// newRegistry gathers onemrc's series with the process and Go runtime collectors.
func newRegistry(srv *loop.Server, st *store.Store, node *cluster.Node, wlog *wal.Log) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collector{srv: srv, st: st, node: node, wal: wlog},
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
	)
	return reg
}
