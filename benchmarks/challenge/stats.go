package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// statsTimeout bounds one GET /stats or GET /health.
const statsTimeout = 10 * time.Second

// stats is one /stats answer, its numbers kept as their JSON text so the
// checks compare them exactly rather than through float64.
type stats struct {
	Raw           string
	TotalRequests uint64
	UniqueUsers   uint64
	Sum           json.Number
	Avg           json.Number
}

// getStats reads and decodes GET /stats from addr.
func getStats(ctx context.Context, addr string) (stats, error) {
	ctx, cancel := context.WithTimeout(ctx, statsTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/stats", nil)
	if err != nil {
		return stats{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return stats{}, fmt.Errorf("GET /stats: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return stats{}, fmt.Errorf("GET /stats: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return stats{}, fmt.Errorf("GET /stats: status %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	return parseStats(body)
}

// parseStats decodes a /stats body, requiring all four members as numbers
// and the two counters as non-negative integers.
func parseStats(body []byte) (stats, error) {
	s := stats{Raw: string(bytes.TrimSpace(body))}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return s, fmt.Errorf("/stats is not a JSON object: %w", err)
	}
	number := func(name string) (json.Number, error) {
		raw, ok := fields[name]
		if !ok {
			return "", fmt.Errorf("/stats has no %q", name)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return "", fmt.Errorf("/stats %q: %w", name, err)
		}
		n, ok := v.(json.Number)
		if !ok {
			return "", fmt.Errorf("/stats %q is %s, not a number", name, raw)
		}
		return n, nil
	}
	counter := func(name string) (uint64, error) {
		n, err := number(name)
		if err != nil {
			return 0, err
		}
		v, err := strconv.ParseUint(n.String(), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/stats %q = %s is not a non-negative integer", name, n)
		}
		return v, nil
	}
	var errs [4]error
	s.TotalRequests, errs[0] = counter("totalRequests")
	s.UniqueUsers, errs[1] = counter("uniqueUsers")
	s.Sum, errs[2] = number("sum")
	s.Avg, errs[3] = number("avg")
	return s, errors.Join(errs[:]...)
}
