package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/onemrc/onemrc/cluster"
)

// admin is the operator's listener: Prometheus metrics and profiling. It is plain net/http
// on its own goroutines, off the request path, and listens on loopback unless told
// otherwise because pprof exposes the process's internals.
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
	return mux
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

// startAdmin listens on addr; an empty addr disables the admin listener.
func startAdmin(addr string, reg *prometheus.Registry, log *slog.Logger) (*admin, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	a := &admin{ln: ln, srv: &http.Server{Handler: newAdminMux(reg), ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin listener", "err", err)
		}
	}()
	log.Info("admin listening", "addr", ln.Addr().String(), "endpoints", "/metrics /debug/pprof/")
	return a, nil
}

func (a *admin) close() {
	if a == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = a.srv.Shutdown(ctx)
}
