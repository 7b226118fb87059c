package main

import (
	"net/http/httptest"
	"testing"

	"github.com/onemrc/onemrc/benchmarks/peers/internal/apitest"
)

func newTestServer(t *testing.T) string {
	srv := httptest.NewServer(newHandler(&tally{}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestCountsExactly(t *testing.T) { apitest.RunCounts(t, newTestServer) }

func TestRejectsWithoutCounting(t *testing.T) { apitest.RunRejects(t, newTestServer) }
