//go:build !race

package pipeline

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/store"
)

// The steady-state path from request bytes to response bytes allocates nothing: parse,
// route, decode, record, publish, respond.
func TestProcessAllocatesNothing(t *testing.T) {
	p := New(store.New(store.Options{}), Config{})
	var c Conn
	one := []byte(post(`{"userId":"user_12345","value":345}`))
	var batch []byte
	for range 16 {
		batch = append(batch, one...)
	}
	stats := []byte(getStats)
	var lines strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&lines, "{\"userId\":\"user_%d\",\"value\":%d}\n", i, i)
	}
	ndjsonBatch := []byte(batchRequest("Content-Type: application/x-ndjson\r\n", lines.String()))
	arrayBatch := []byte(batchRequest("Content-Type: application/json\r\n",
		"["+strings.ReplaceAll(strings.TrimSuffix(lines.String(), "\n"), "\n", ",")+"]"))
	for range 100 { // warm the tables and buffers
		p.Process(&c, batch)
		p.Process(&c, ndjsonBatch)
		p.Process(&c, arrayBatch)
		p.ResetOutput()
	}
	for name, in := range map[string][]byte{"one event": one, "16 pipelined": batch, "stats": stats,
		"batch of 1000 (ndjson)": ndjsonBatch, "batch of 1000 (array)": arrayBatch} {
		allocs := testing.AllocsPerRun(500, func() {
			n, closeConn := p.Process(&c, in)
			if n != len(in) || closeConn {
				t.Fatal("request not consumed")
			}
			p.ResetOutput()
		})
		assert.Zero(t, allocs, name)
	}
	require.NotZero(t, p.store.Snapshot().TotalRequests)
}

func TestLocalScopeAllocatesNothing(t *testing.T) {
	target := []byte("/stats?a=1&b=2&c=3&scope=local")
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		if !localScope(target) {
			t.Fatal("scope=local not found")
		}
	}))
}

// Serve over reads that end mid-request (the partial request kept and joined) allocates
// nothing once the connection's buffer has grown.
func TestServeAllocatesNothing(t *testing.T) {
	p := New(store.New(store.Options{}), Config{})
	var c Conn
	one := []byte(post(`{"userId":"user_12345","value":345}`))
	two := append(append([]byte(nil), one...), one...)
	cut := len(one) + len(one)/2 // the second read completes the second request
	serve := func() {
		for _, read := range [][]byte{two[:cut], two[cut:]} {
			if b := p.Serve(&c, read); b.Close {
				t.Fatal("closed")
			}
		}
		if len(c.Pending()) != 0 {
			t.Fatal("a request left pending")
		}
		p.ResetOutput()
	}
	for range 100 {
		serve()
	}
	assert.Zero(t, testing.AllocsPerRun(500, serve))
}

// /ready is a load balancer's probe, as frequent as it is configured to be: one atomic
// load and a canned answer, no allocation.
func TestReadyAllocatesNothing(t *testing.T) {
	var r Readiness
	r.SetReady()
	p := New(store.New(store.Options{}), Config{Readiness: &r})
	var c Conn
	in := []byte(getReady)
	p.Process(&c, in)
	p.ResetOutput()
	assert.Zero(t, testing.AllocsPerRun(500, func() {
		if n, closeConn := p.Process(&c, in); n != len(in) || closeConn {
			t.Fatal("request not consumed")
		}
		p.ResetOutput()
	}))
}

// A request that spans reads is counted in flight and out with no allocation.
func TestInFlightAllocatesNothing(t *testing.T) {
	p := New(store.New(store.Options{}), Config{})
	var c Conn
	require.True(t, p.Serve(&c, []byte("POST /event HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n{")).Partial)
	assert.Zero(t, testing.AllocsPerRun(500, func() {
		p.AddInFlight(&c, +1)
		p.AddInFlight(&c, -1)
	}))
}
