package main

import (
	"bufio"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func scrape(t *testing.T, adminAddr string) map[string]*dto.MetricFamily {
	resp, err := http.Get("http://" + adminAddr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err, "the exposition parses with Prometheus's own text parser")
	return families
}

// value returns the value of the series of family name whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	t.Helper()
	v, ok := find(fams, name, want...)
	if !ok {
		t.Fatalf("no series %s%v", name, want)
	}
	return v
}

// find is value without failing: ok is false when no such series is exposed.
func find(fams map[string]*dto.MetricFamily, name string, want ...string) (float64, bool) {
	fam, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestMetricsAgreeWithStats(t *testing.T) {
	admin := freePort(t)
	d := startDaemon(t, "-admin-addr", admin, "-loops", "2")
	c := d.dial()
	br := bufio.NewReader(c)
	const good = 300
	for i := range good {
		_, err := c.Write(eventRequest("m"+strconv.Itoa(i%40), strconv.Itoa(i)+".25"))
		require.NoError(t, err)
	}
	_, err := c.Write([]byte("POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\n{x}" +
		"POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 14\r\n\r\n{\"userId\":\"a\"}" +
		"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"))
	require.NoError(t, err)
	codes := readResponses(t, br, good+3)
	requireOnlyOK(t, codes[:good])
	assert.Equal(t, []int{400, 400, 404}, codes[good:])

	bad := d.dial() // a framing error on its own connection
	_, err = bad.Write([]byte("GET /stats HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n"))
	require.NoError(t, err)
	assert.Contains(t, readUntilClosed(t, bad, 5e9), "400")

	st := d.stats()
	// Loops publish their metrics at most once per clock tick (and on their sweep), so a
	// scrape may lag the answers by up to a second.
	var fams map[string]*dto.MetricFamily
	require.Eventually(t, func() bool {
		fams = scrape(t, admin)
		posts, _ := find(fams, "http_requests_total", "method", "POST", "endpoint", "/event", "status", "200")
		folds, _ := find(fams, "onemrc_parse_errors_total", "kind", "obsolete_line_folding")
		return posts == good && folds == 1
	}, 5*time.Second, 50*time.Millisecond)
	assert.Equal(t, float64(st.TotalRequests), value(t, fams, "events_processed_total"))
	assert.Equal(t, float64(good), value(t, fams, "events_processed_total"))
	assert.Equal(t, float64(st.UniqueUsers), value(t, fams, "unique_users_total"))
	assert.Equal(t, st.Sum, value(t, fams, "event_values"))
	assert.Equal(t, float64(good), value(t, fams, "http_requests_total", "method", "POST", "endpoint", "/event", "status", "200"))
	assert.Equal(t, float64(2), value(t, fams, "http_requests_total", "method", "POST", "endpoint", "/event", "status", "400"))
	assert.Equal(t, float64(1), value(t, fams, "http_requests_total", "method", "GET", "endpoint", "other", "status", "404"))
	assert.Equal(t, float64(1), value(t, fams, "events_failed_total", "reason", "malformed_json"))
	assert.Equal(t, float64(1), value(t, fams, "events_failed_total", "reason", "missing_value"))
	assert.Equal(t, float64(1), value(t, fams, "onemrc_parse_errors_total", "kind", "obsolete_line_folding"))
	assert.GreaterOrEqual(t, value(t, fams, "http_request_duration_seconds", "method", "POST", "endpoint", "/event"), float64(good+2))
	assert.Equal(t, float64(1), value(t, fams, "http_request_duration_seconds", "method", "GET", "endpoint", "other"))
	assert.Zero(t, value(t, fams, "http_request_duration_seconds", "method", "HEAD", "endpoint", "/stats"),
		"a pair the route table serves is there before its first request")
	assert.GreaterOrEqual(t, value(t, fams, "onemrc_open_connections"), float64(1))
	assert.Positive(t, value(t, fams, "onemrc_received_bytes_total"))
	assert.Positive(t, value(t, fams, "onemrc_sent_bytes_total"))
	perLoop := value(t, fams, "onemrc_loop_requests_total", "loop", "0")
	assert.Positive(t, perLoop)
	assert.Positive(t, value(t, fams, "process_resident_memory_bytes"))
	assert.Positive(t, value(t, fams, "go_goroutines"))
	assert.Zero(t, value(t, fams, "http_requests_in_flight", "method", "POST", "endpoint", "/event"))
	assert.Equal(t, float64(1), value(t, fams, "onemrc_build_info", "version", buildVersion(), "goversion", runtime.Version()))

	resp, err := http.Get("http://" + admin + "/debug/pprof/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
}
