package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"time"
)

// stats is the daemon's /stats object, numbers kept as their JSON text.
type stats struct {
	TotalRequests json.Number `json:"totalRequests"`
	UniqueUsers   json.Number `json:"uniqueUsers"`
	Sum           json.Number `json:"sum"`
	Avg           json.Number `json:"avg"`
}

func parseStats(body []byte) (stats, error) {
	var s stats
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return stats{}, fmt.Errorf("/stats %q: %w", body, err)
	}
	return s, nil
}

// expectedStats is what /stats must say after events 0..n-1 with event i from
// user_(i%users) and value i%1000, sent to an empty daemon.
func expectedStats(n, users int64) (total, unique int64, sum *big.Int, avg float64) {
	// sum of i%1000 over i < n: full blocks of 0..999 (499500 each) plus the tail.
	full, tail := n/1000, n%1000
	s := full*499_500 + tail*(tail-1)/2
	avgRat := new(big.Rat)
	if n > 0 {
		avgRat.SetFrac64(s, n)
	}
	avg, _ = avgRat.Float64()
	return n, min(n, users), big.NewInt(s), avg
}

// checkStats compares s with the expected figures; each mismatch is one line.
func checkStats(s stats, n, users int64) []string {
	total, unique, sum, avg := expectedStats(n, users)
	var bad []string
	eqInt := func(name string, got json.Number, want int64) {
		if g, err := got.Int64(); err != nil || g != want {
			bad = append(bad, fmt.Sprintf("%s = %s, want %d", name, got, want))
		}
	}
	eqInt("totalRequests", s.TotalRequests, total)
	eqInt("uniqueUsers", s.UniqueUsers, unique)
	// The daemon rounds the exact sum once to float64: compare as float64.
	gotSum, ok := new(big.Rat).SetString(s.Sum.String())
	wantSum, _ := new(big.Rat).SetInt(sum).Float64()
	if f, _ := gotSum.Float64(); !ok || f != wantSum {
		bad = append(bad, fmt.Sprintf("sum = %s, want %s", s.Sum, sum))
	}
	if f, err := s.Avg.Float64(); err != nil || f != avg {
		bad = append(bad, fmt.Sprintf("avg = %s, want %v", s.Avg, avg))
	}
	return bad
}

const statsRequest = "GET /stats HTTP/1.1\r\nHost: onemrc\r\n\r\n"

// statsLatency asks GET /stats count times in sequence on one keep-alive
// connection and returns each round trip and the last body.
func statsLatency(ctx context.Context, addr string, count int) ([]time.Duration, []byte, error) {
	c, err := dial(ctx, addr)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	br := bufio.NewReader(c)
	lat := make([]time.Duration, 0, count)
	var body []byte
	for range count {
		start := time.Now()
		if _, err := io.WriteString(c, statsRequest); err != nil {
			return lat, body, err
		}
		var status int
		status, body, err = readResponse(br)
		if err != nil {
			return lat, body, err
		}
		if status != 200 {
			return lat, body, fmt.Errorf("GET /stats: status %d", status)
		}
		lat = append(lat, time.Since(start))
	}
	return lat, body, nil
}
