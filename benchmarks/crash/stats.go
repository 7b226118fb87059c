package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// statsTimeout bounds one GET /stats or GET /health.
const statsTimeout = 5 * time.Second

// httpClient serves /health and /stats; the load has its own connections.
var httpClient = &http.Client{Timeout: statsTimeout}

// get returns the status and body of GET url.
func get(ctx context.Context, url string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, statsTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

// readStats reads GET /stats and returns its raw body and its exact counters.
func readStats(ctx context.Context, addr string) (string, counters, error) {
	status, body, err := get(ctx, "http://"+addr+"/stats")
	if err != nil {
		return "", counters{}, fmt.Errorf("GET /stats: %w", err)
	}
	raw := string(bytes.TrimSpace(body))
	if status != http.StatusOK {
		return raw, counters{}, fmt.Errorf("GET /stats: status %d: %s", status, raw)
	}
	c, err := parseStats(body)
	return raw, c, err
}

// parseStats decodes a /stats body; the sum is read as its JSON text, not a float64,
// and converted to exact nanounits.
func parseStats(body []byte) (counters, error) {
	var s struct {
		TotalRequests *uint64      `json:"totalRequests"`
		UniqueUsers   *uint64      `json:"uniqueUsers"`
		Sum           *json.Number `json:"sum"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&s); err != nil {
		return counters{}, fmt.Errorf("/stats %q: %w", body, err)
	}
	if s.TotalRequests == nil || s.UniqueUsers == nil || s.Sum == nil {
		return counters{}, fmt.Errorf("/stats %q lacks totalRequests, uniqueUsers or sum", body)
	}
	n, err := sumNanos(s.Sum.String())
	if err != nil {
		return counters{}, fmt.Errorf("/stats: %w", err)
	}
	return counters{Total: *s.TotalRequests, Users: *s.UniqueUsers, SumNanos: n}, nil
}
