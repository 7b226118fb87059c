package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestProbeMeasuresEachAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	p := runProbe(ctx, strings.TrimPrefix(srv.URL, "http://"), 5*time.Millisecond)
	assert.Greater(t, p.Requests, 5)
	assert.Zero(t, p.Errors)
	assert.Positive(t, p.MaxNs)
	assert.LessOrEqual(t, p.P50Ns, p.P99Ns)
	assert.LessOrEqual(t, p.P99Ns, p.MaxNs)
}

func TestProbeCountsErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	p := runProbe(ctx, freeAddrForProbe(t), 10*time.Millisecond)
	assert.Positive(t, p.Errors, "nothing listens there")
}

func freeAddrForProbe(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	return addr
}
