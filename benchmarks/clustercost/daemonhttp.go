package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// stats is one /stats answer; a cluster node adds scope, nodes and ageMs.
type stats struct {
	TotalRequests uint64      `json:"totalRequests"`
	UniqueUsers   uint64      `json:"uniqueUsers"`
	Sum           json.Number `json:"sum"`
	Avg           json.Number `json:"avg"`
	Scope         string      `json:"scope"`
	Nodes         int         `json:"nodes"`
	AgeMs         int64       `json:"ageMs"`
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// httpGet returns the body of a 200 answer to GET url.
func httpGet(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, err
}

// getStats reads GET /stats of the daemon at addr: the cluster-wide figures of a node.
func getStats(ctx context.Context, addr string) (stats, []byte, error) {
	body, err := httpGet(ctx, "http://"+addr+"/stats")
	if err != nil {
		return stats{}, body, err
	}
	var s stats
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&s); err != nil {
		return stats{}, body, fmt.Errorf("/stats %q: %w", body, err)
	}
	return s, bytes.TrimSpace(body), nil
}

// sameSum reports whether a /stats sum is exactly want, a decimal.
func sameSum(got json.Number, want string) bool {
	g, ok1 := new(big.Rat).SetString(got.String())
	w, ok2 := new(big.Rat).SetString(want)
	return ok1 && ok2 && g.Cmp(w) == 0
}

// parseMetric finds the sample "name value" in the Prometheus text format.
func parseMetric(body []byte, name string) (float64, error) {
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), name+" ")
		if !ok {
			continue
		}
		return strconv.ParseFloat(strings.TrimSpace(rest), 64)
	}
	return 0, fmt.Errorf("/metrics has no sample %s", name)
}
