package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/procfs"

	"github.com/onemrc/onemrc/cluster"
)

// admin is an operator's listener: -admin-addr serves Prometheus metrics and profiling,
// -metrics-addr the metrics alone. Both are plain net/http on their own goroutines, off
// the request path. The admin listener is on loopback unless told otherwise because pprof
// exposes the process's internals; -metrics-addr is the one to open to a scraper on
// another host.
type admin struct {
	srv *http.Server
	ln  net.Listener
}

func newAdminMux(reg *prometheus.Registry) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("POST /debug/free-memory", freeMemory)
	return mux
}

// freeMemory runs a full collection and returns every free page to the operating system
// (debug.FreeOSMemory), then answers the resident size before and after. Between
// collections the runtime keeps freed heap up to its goal (-gc-percent above the live
// heap) for reuse; this is for an operator who wants the memory back now, after a burst of
// users or batches, or who measures what the daemon needs.
func freeMemory(w http.ResponseWriter, _ *http.Request) {
	before := residentBytes()
	debug.FreeOSMemory()
	after := residentBytes()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"rssBefore\":%d,\"rssAfter\":%d}\n", before, after)
}

// residentBytes is the process's resident set size (0 where /proc cannot tell it).
func residentBytes() int64 {
	p, err := procfs.Self()
	if err != nil {
		return 0
	}
	st, err := p.Stat()
	if err != nil {
		return 0
	}
	return int64(st.ResidentMemory())
}

// cmdline is pprof.Cmdline with every argument redacted: a -cluster URL given with its
// password is served without it (better still, give the password by
// -cluster-password-file or REDISCLI_AUTH: then no command line holds it).
func cmdline(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	args := make([]string, len(os.Args))
	for i, a := range os.Args {
		args[i] = cluster.Redact(a)
	}
	_, _ = io.WriteString(w, strings.Join(args, "\x00"))
}

func newMetricsMux(reg *prometheus.Registry) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}

// listeners are the admin listener (-admin-addr: /metrics and pprof) and the metrics
// listener (-metrics-addr: /metrics alone); nil where disabled.
type listeners struct{ admin, metrics *admin }

// listenAdmin binds the listeners cfg asks for, before anything slow (a restore, a
// cluster join) runs. A listener the operator asked for that cannot bind is an error
// for the caller to stop on: a daemon silently without its metrics is worse than one
// that refuses to start.
func listenAdmin(cfg config) (listeners, error) {
	var ls listeners
	var err error
	if ls.admin, err = listen("admin-addr", cfg.adminAddr); err != nil {
		return ls, err
	}
	if ls.metrics, err = listen("metrics-addr", cfg.metricsAddr); err != nil {
		ls.admin.close()
		return ls, err
	}
	return ls, nil
}

func listen(flagName, addr string) (*admin, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-%s: %w", flagName, err)
	}
	return &admin{ln: ln}, nil
}

// serve starts serving the metrics of reg (and pprof on the admin listener).
func (ls listeners) serve(reg *prometheus.Registry, log *slog.Logger) {
	ls.admin.serve("admin", newAdminMux(reg), "/metrics /debug/pprof/", log)
	ls.metrics.serve("metrics", newMetricsMux(reg), "/metrics", log)
}

func (ls listeners) close() {
	ls.admin.close()
	ls.metrics.close()
}

func (a *admin) serve(name string, h http.Handler, endpoints string, log *slog.Logger) {
	if a == nil {
		return
	}
	a.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := a.srv.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error(name+" listener", "err", err)
		}
	}()
	log.Info(name+" listening", "addr", a.ln.Addr().String(), "endpoints", endpoints)
}

func (a *admin) close() {
	if a == nil {
		return
	}
	if a.srv == nil {
		_ = a.ln.Close()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = a.srv.Shutdown(ctx)
}
