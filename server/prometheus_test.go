package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run Prometheus's own tools against the daemon: promtool on a scrape and on
// the alert rules, and a real Prometheus evaluating every expression of our dashboard and
// of the public 1MRC one. They need Debian's prometheus package (which brings promtool):
// without it they skip, unless ONEMRC_REQUIRE_PROMETHEUS is set, as CI sets it.

// prometheusTool returns the path of a Prometheus binary (prometheus, promtool).
func prometheusTool(t *testing.T, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("ONEMRC_REQUIRE_PROMETHEUS") != "" {
			t.Fatalf("%s is not installed (ONEMRC_REQUIRE_PROMETHEUS is set)", name)
		}
		t.Skipf("%s not installed: apt-get install prometheus", name)
	}
	return bin
}

// observedDaemon starts a daemon with every part whose metrics the dashboards show (the
// log of -data-dir, -cluster against a Redis of its own) and returns its admin address.
func observedDaemon(t *testing.T) (*testDaemon, string) {
	r := startRedis(t)
	admin := freePort(t)
	d := startDaemon(t, "-admin-addr", admin, "-loops", "2", "-data-dir", t.TempDir(),
		"-cluster", r.URL(), "-node-id", "observed", "-flush-interval", "100ms")
	return d, admin
}

// load sends events on one connection, and one request of each kind of answer a
// dashboard plots: /stats, /health, a bad body (400), an unknown path (404), a wrong
// method (405) and, on a connection of its own, an HTTP version the daemon does not
// serve (505).
func load(t *testing.T, d *testDaemon, round, events int) {
	c := d.dial()
	br := bufio.NewReader(c)
	var batch []byte
	for i := range events {
		batch = append(batch, eventRequest("u"+strconv.Itoa(round*events+i), strconv.Itoa(i%100)+".5")...)
	}
	batch = append(batch, "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n"+
		"GET /health HTTP/1.1\r\nHost: t\r\n\r\n"+
		"POST /event HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\n{x}"+
		"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"+
		"DELETE /stats HTTP/1.1\r\nHost: t\r\n\r\n"...)
	_, err := c.Write(batch)
	require.NoError(t, err)
	codes := readResponses(t, br, events+5)
	requireOnlyOK(t, codes[:events+2])
	assert.Equal(t, []int{400, 404, 405}, codes[events+2:])

	old := d.dial()
	_, err = old.Write([]byte("GET /stats HTTP/2.0\r\nHost: t\r\n\r\n"))
	require.NoError(t, err)
	assert.Contains(t, readUntilClosed(t, old, 5*time.Second), "505")
}

// scrapeText returns /metrics once every loop has published the events sent so far.
func scrapeText(t *testing.T, admin string, events int) []byte {
	var body []byte
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + admin + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, err = io.ReadAll(resp.Body)
		return err == nil && bytes.Contains(body, []byte(fmt.Sprintf(
			"http_requests_total{endpoint=\"/event\",method=\"POST\",status=\"200\"} %d\n", events)))
	}, 5*time.Second, 50*time.Millisecond)
	return body
}

func TestPromtoolCheckMetrics(t *testing.T) {
	promtool := prometheusTool(t, "promtool")
	d, admin := observedDaemon(t)
	load(t, d, 0, 500)
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(scrapeText(t, admin, 500))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "promtool check metrics:\n%s", out)
	assert.Empty(t, string(out))
}

func TestAlertRules(t *testing.T) {
	promtool := prometheusTool(t, "promtool")
	cases := [][]string{
		{"check", "rules", "onemrc.rules.yml"},
		{"test", "rules", "onemrc.rules.test.yml"},
		{"check", "config", "prometheus.yml"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.Command(promtool, args...)
			cmd.Dir = filepath.Join("..", "deploy", "prometheus")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
		})
	}
}

// query is one dashboard expression.
type query struct {
	panel, expr string
}

// publicDashboard reads testdata/public-1mrc-dashboard.promql (its format is described
// there), leaving out the JVM panel, which only a JVM can fill.
func publicDashboard(t *testing.T) []query {
	f, err := os.ReadFile(filepath.Join("testdata", "public-1mrc-dashboard.promql"))
	require.NoError(t, err)
	var qs []query
	panel, jvm := "", false
	for _, line := range strings.Split(string(f), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			end := strings.Index(line, "]")
			panel, jvm = line[1:end], strings.TrimSpace(line[end+1:]) == "jvm"
		case !jvm:
			qs = append(qs, query{panel, strings.ReplaceAll(line, "$service", ".*")})
		}
	}
	require.Len(t, qs, 13, "the 10 panels but JVM's, 13 targets")
	return qs
}

// ownDashboard reads every target of deploy/grafana/onemrc.json, its variables given
// the values Grafana gives them with every instance selected.
func ownDashboard(t *testing.T) []query {
	f, err := os.ReadFile(filepath.Join("..", "deploy", "grafana", "onemrc.json"))
	require.NoError(t, err)
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr  string `json:"expr"`
			RefID string `json:"refId"`
		} `json:"targets"`
		Panels []panel `json:"panels"` // a collapsed row's
	}
	var dash struct {
		Panels []panel `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(f, &dash))
	vars := strings.NewReplacer("$instance", ".*", "$__rate_interval", "1m")
	var qs []query
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				qs = append(qs, query{p.Title + " " + tg.RefID, vars.Replace(tg.Expr)})
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	require.NotEmpty(t, qs)
	return qs
}

// startPrometheus runs a Prometheus that scrapes admin every second, with the labels the
// public dashboard's own Prometheus gives its targets, and returns its address.
func startPrometheus(t *testing.T, admin string) string {
	bin := prometheusTool(t, "prometheus")
	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(config, []byte(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: onemrc
    static_configs:
      - targets: ["`+admin+`"]
        labels: {service: onemrc, implementation: onemrc}
`), 0o644))
	addr := freePort(t)
	var logs syncBuffer
	cmd := exec.Command(bin, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
		}
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, 30*time.Second, 100*time.Millisecond, "prometheus did not become ready")
	// Its first scrape waits for service discovery's first update, a few seconds after
	// it is ready: a load sent before would leave no rate to see.
	require.Eventually(t, func() bool {
		up, err := instant(addr, `up{job="onemrc"} == 1`)
		return err == nil && len(up) == 1
	}, 30*time.Second, 100*time.Millisecond, "prometheus did not scrape the daemon")
	return addr
}

// instant evaluates expr now and returns the values of its result; err is the API's
// error for an expression it refuses.
func instant(prom, expr string) ([]float64, error) {
	resp, err := http.Get("http://" + prom + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: %s", r.Status, r.Error)
	}
	var vals []float64
	for _, s := range r.Data.Result {
		text, _ := s.Value[1].(string)
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
	}
	return vals, nil
}

// Every panel of both dashboards returns data (at least one number that is not NaN)
// from a Prometheus that scraped the daemon under load.
func TestDashboardsAgainstPrometheus(t *testing.T) {
	d, admin := observedDaemon(t)
	prom := startPrometheus(t, admin)
	const rounds, events = 6, 500
	for round := range rounds {
		load(t, d, round, events)
		time.Sleep(time.Second)
	}
	scrapeText(t, admin, rounds*events)
	for _, dash := range []struct {
		name    string
		queries []query
	}{{"public 1MRC", publicDashboard(t)}, {"onemrc.json", ownDashboard(t)}} {
		for _, q := range dash.queries {
			t.Run(dash.name+"/"+q.panel, func(t *testing.T) {
				var vals []float64
				var err error
				ok := assert.Eventually(t, func() bool {
					vals, err = instant(prom, q.expr)
					for _, v := range vals {
						if !math.IsNaN(v) {
							return true
						}
					}
					return false
				}, 15*time.Second, 250*time.Millisecond)
				if !ok {
					t.Logf("%s\nvalues %v, err %v", q.expr, vals, err)
				}
			})
		}
	}
}
