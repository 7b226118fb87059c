package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil)
	require.NoError(t, err)
	assert.Equal(t, options{N: 1_000_000, Conns: 1_000, Users: 75_000, Pipeline: 1, Timeout: 5 * time.Minute,
		LogDir: filepath.Join(os.TempDir(), "onemrc-logs")}, o)

	o, err = parseFlags([]string{"-n", "5", "-c", "2", "-users", "3", "-pipeline", "16", "-half", "-rps", "100",
		"-addr", "127.0.0.1:8080", "-pid", "42", "-json", "x.json", "-timeout", "1m", "-log-dir", "l"})
	require.NoError(t, err)
	assert.Equal(t, options{N: 5, Conns: 2, Users: 3, Pipeline: 16, Half: true, RPS: 100,
		Addr: "127.0.0.1:8080", PID: 42, JSON: "x.json", Timeout: time.Minute, LogDir: "l"}, o)

	bad := [][]string{
		{"-n", "-1"}, {"-c", "0"}, {"-users", "0"}, {"-rps", "-1"}, {"-pipeline", "0"},
		{"-timeout", "0s"}, {"-loops", "-1"}, {"-pid", "7"}, {"-addr", "127.0.0.1:1", "-loops", "2"},
		{"-addr", "10.0.0.1:80"}, {"-addr", "example.com:80"}, {"-addr", "nope"}, {"extra"},
	}
	for _, args := range bad {
		_, err := parseFlags(args)
		assert.Error(t, err, "%q", args)
	}
}

func TestCheckTarget(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8080", "localhost:1", "[::1]:8080", "127.9.9.9:80"} {
		assert.NoError(t, checkTarget(addr, false), addr)
	}
	for _, addr := range []string{"10.1.2.3:80", "0.0.0.0:80", "[2001:db8::1]:80", "example.com:80"} {
		assert.Error(t, checkTarget(addr, false), addr)
		assert.NoError(t, checkTarget(addr, true), addr)
	}
	for _, addr := range []string{"127.0.0.1", "127.0.0.1:0", "127.0.0.1:http", ":99999"} {
		assert.Error(t, checkTarget(addr, true), addr)
	}
}

// fakeDaemon is an in-test onemrcd: net/http serving the three routes with
// exact integer bookkeeping (values doubled), plus a knob to miscount.
type fakeDaemon struct {
	mu        sync.Mutex
	total     uint64
	sumHalves uint64
	users     map[string]bool
	dropEvery uint64 // when > 0, answers 200 but forgets every k-th event
}

func (f *fakeDaemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/health":
		w.WriteHeader(http.StatusOK)
	case "/stats":
		f.mu.Lock()
		avg := 0.0
		if f.total > 0 {
			avg = float64(f.sumHalves) / 2 / float64(f.total)
		}
		body := fmt.Sprintf(`{"totalRequests":%d,"uniqueUsers":%d,"sum":%v,"avg":%v}`,
			f.total, len(f.users), float64(f.sumHalves)/2, avg)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	case "/event":
		var ev struct {
			UserID string      `json:"userId"`
			Value  json.Number `json:"value"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
			return
		}
		whole, half, _ := strings.Cut(ev.Value.String(), ".")
		var v uint64
		_, _ = fmt.Sscan(whole, &v)
		f.mu.Lock()
		f.total++
		if f.dropEvery > 0 && f.total%f.dropEvery == 0 {
			f.total--
		} else {
			f.sumHalves += 2 * v
			if half == "5" {
				f.sumHalves++
			}
			f.users[ev.UserID] = true
		}
		f.mu.Unlock()
	default:
		http.NotFound(w, r)
	}
}

func startFake(t *testing.T, f *fakeDaemon) string {
	f.users = map[string]bool{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestRunAgainstAFakeDaemon(t *testing.T) {
	tests := []struct {
		name       string
		fake       *fakeDaemon
		prefill    int // events sent before the checked run
		half       bool
		pipeline   int
		pass       bool
		failSubstr string
	}{
		{name: "fresh", fake: &fakeDaemon{}, pipeline: 1, pass: true},
		{name: "fresh half pipelined", fake: &fakeDaemon{}, half: true, pipeline: 8, pass: true},
		{name: "prefilled", fake: &fakeDaemon{}, prefill: 500, pipeline: 1, pass: true},
		{name: "drops events", fake: &fakeDaemon{dropEvery: 100}, pipeline: 1, failSubstr: "totalRequests delta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := startFake(t, tt.fake)
			dir := t.TempDir()
			base := options{N: 3_000, Conns: 20, Users: 700, Pipeline: tt.pipeline, Half: tt.half,
				Addr: addr, Timeout: 20 * time.Second, LogDir: dir}
			if tt.prefill > 0 {
				pre := base
				pre.N = tt.prefill
				var discard bytes.Buffer
				require.True(t, run(context.Background(), pre, &discard).Pass, discard.String())
			}
			o := base
			o.JSON = filepath.Join(dir, "out.json")
			var out bytes.Buffer
			rep := run(context.Background(), o, &out)
			text := out.String()
			assert.Equal(t, tt.pass, rep.Pass, text)
			if tt.pass {
				assert.Contains(t, text, "\nPASS\n")
			} else {
				assert.Contains(t, text, "\nFAIL: ")
				assert.Contains(t, text, tt.failSubstr)
			}
			if tt.prefill > 0 {
				assert.Contains(t, text, "daemon held data before")
			}

			// The JSON file and the log carry the same verdict.
			data, err := os.ReadFile(o.JSON)
			require.NoError(t, err)
			var decoded struct {
				Pass bool `json:"pass"`
				Load struct {
					OK uint64 `json:"ok"`
				} `json:"load"`
				Checks []check `json:"checks"`
			}
			require.NoError(t, json.Unmarshal(data, &decoded))
			assert.Equal(t, tt.pass, decoded.Pass)
			assert.Equal(t, uint64(3_000), decoded.Load.OK)
			assert.Len(t, decoded.Checks, 4)

			logText, err := os.ReadFile(rep.LogFile)
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(rep.LogFile, filepath.Join(dir, "challenge-")))
			assert.Contains(t, string(logText), "-n 3000 -c 20 -users 700")
			assert.Contains(t, string(logText), rep.verdict())
		})
	}
}

func TestRunFailsWhenNothingListens(t *testing.T) {
	addr, err := onemrcd.FreeLoopbackAddr()
	require.NoError(t, err)
	var out bytes.Buffer
	start := time.Now()
	rep := run(context.Background(), options{N: 100, Conns: 2, Users: 10, Pipeline: 1, Addr: addr,
		Timeout: 10 * time.Second, LogDir: t.TempDir()}, &out)
	assert.False(t, rep.Pass)
	assert.Contains(t, out.String(), "FAIL: baseline")
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestRunStopsAtTheTimeout(t *testing.T) {
	// A daemon that answers /stats but never answers events: the run must
	// end at -timeout with FAIL, not hang.
	mux := http.NewServeMux()
	mux.HandleFunc("/stats", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"totalRequests":0,"uniqueUsers":0,"sum":0,"avg":0}`)
	})
	mux.HandleFunc("/event", func(_ http.ResponseWriter, r *http.Request) {
		// Reading the body lets net/http notice the client's close.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var out bytes.Buffer
	start := time.Now()
	rep := run(context.Background(), options{N: 1_000, Conns: 4, Users: 10, Pipeline: 1,
		Addr: strings.TrimPrefix(srv.URL, "http://"), Timeout: 500 * time.Millisecond, LogDir: t.TempDir()}, &out)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.False(t, rep.Pass)
	assert.Contains(t, out.String(), "run exceeded -timeout 500ms")
	assert.Contains(t, out.String(), "1,004 events not acknowledged", "each connection's request in flight is lost")
}
