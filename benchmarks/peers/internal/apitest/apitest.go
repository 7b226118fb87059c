// Package apitest is the one contract every peer's test runs against a live
// listener: N events in, exact /stats out, and bad requests not counted.
package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/benchmarks/peers/internal/stats"
)

// Stats is the /stats document every peer serves.
type Stats = stats.Stats

// workers is how many goroutines post concurrently, so a peer's counters
// see real contention.
const workers = 8

// Case is one load: events i in [0, Events) carry userId
// "user_"+(i%Users) and value (i%1000)+Fraction.
type Case struct {
	Name     string
	Events   int
	Users    int
	Fraction float64
	Want     Stats
}

// Cases are the loads every peer must count exactly. Sums stay integers or
// halves far below 2^53, so float64 addition in any order is exact.
var Cases = []Case{
	{Name: "distinct users, integer values", Events: 1000, Users: 75000,
		Want: Stats{TotalRequests: 1000, UniqueUsers: 1000, Sum: 499500, Avg: 499.5}},
	{Name: "repeated users, half values", Events: 1000, Users: 75, Fraction: 0.5,
		Want: Stats{TotalRequests: 1000, UniqueUsers: 75, Sum: 500000, Avg: 500}},
}

// RunCounts posts each case's events to a fresh server from newServer (which
// returns its base URL, e.g. "http://127.0.0.1:1234") and checks /stats.
func RunCounts(t *testing.T, newServer func(t *testing.T) string) {
	for _, tc := range Cases {
		t.Run(tc.Name, func(t *testing.T) {
			base := newServer(t)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := range workers {
				wg.Go(func() {
					for i := w; i < tc.Events; i += workers {
						body := fmt.Sprintf(`{"userId":"user_%d","value":%g}`, i%tc.Users, float64(i%1000)+tc.Fraction)
						if status, err := post(client, base+"/event", body); err != nil || status != http.StatusOK {
							errs <- fmt.Errorf("event %d: status %d, err %v", i, status, err)
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.Want, GetStats(t, client, base))
		})
	}
}

// RunRejects checks that malformed or misrouted requests get an error status
// and leave the counters untouched.
func RunRejects(t *testing.T, newServer func(t *testing.T) string) {
	base := newServer(t)
	client := &http.Client{}
	cases := []struct {
		name, method, path, body string
		want                     int
	}{
		{"health", http.MethodGet, "/health", "", http.StatusOK},
		{"broken JSON", http.MethodPost, "/event", `{"userId":`, http.StatusBadRequest},
		{"not JSON", http.MethodPost, "/event", `hello`, http.StatusBadRequest},
		{"unknown path", http.MethodGet, "/nope", "", http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, base+tc.path, bytes.NewBufferString(tc.body))
			require.NoError(t, err)
			resp, err := client.Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, tc.want, resp.StatusCode)
		})
	}
	assert.Equal(t, Stats{}, GetStats(t, client, base))
}

// GetStats fetches and decodes /stats.
func GetStats(t *testing.T, client *http.Client, base string) Stats {
	t.Helper()
	resp, err := client.Get(base + "/stats")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var s Stats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&s))
	return s
}

func post(client *http.Client, url, body string) (int, error) {
	resp, err := client.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Body.Close()
}
