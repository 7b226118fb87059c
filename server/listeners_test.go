package main

import (
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The listener flags in each of their forms: flag, variable (set to empty disables),
// config file; and the values refused with exit 2.
func TestConfigListenerAddresses(t *testing.T) {
	cfg, err := parseConfig(nil, env(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:6060", cfg.adminAddr, "pprof stays on loopback by default")
	assert.Empty(t, cfg.metricsAddr, "no metrics listener unless asked for")

	cfg, err = parseConfig(nil, env(map[string]string{"ONEMRC_ADMIN_ADDR": "", "ONEMRC_METRICS_ADDR": ":9100"}), io.Discard)
	require.NoError(t, err)
	assert.Empty(t, cfg.adminAddr, "ONEMRC_ADMIN_ADDR= disables the admin listener")
	assert.Equal(t, ":9100", cfg.metricsAddr)

	cfg, err = parseConfig([]string{"-config", writeConfig(t, `{"metrics-addr": "0.0.0.0:9100", "admin-addr": ""}`)}, env(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "0.0.0.0:9100", cfg.metricsAddr)
	assert.Empty(t, cfg.adminAddr)

	cfg, err = parseConfig([]string{"-metrics-addr", "127.0.0.1:9101"}, env(map[string]string{"ONEMRC_METRICS_ADDR": ""}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9101", cfg.metricsAddr, "the flag wins over the variable")

	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-metrics-addr", "9100"}, nil, "-metrics-addr"},
		{nil, map[string]string{"ONEMRC_METRICS_ADDR": "nohostport"}, "-metrics-addr"},
		{[]string{"-config", writeConfig(t, `{"metrics-addr": 9100}`)}, nil, "-metrics-addr"},
		{[]string{"-admin-addr", "x"}, nil, "-admin-addr"},
		{[]string{"-metrics-addr", "127.0.0.1:6060"}, nil, "the admin listener has it"},
		{nil, map[string]string{"ONEMRC_LOOPS": ""}, "ONEMRC_LOOPS"},
	} {
		_, err := parseConfig(tc.args, env(tc.env), io.Discard)
		require.Error(t, err, "%v %v", tc.args, tc.env)
		assert.Contains(t, err.Error(), tc.want)
		assert.Equal(t, 2, exitCode(err))
	}
}

// -metrics-addr serves /metrics and nothing of pprof; a listener that cannot bind stops
// the daemon at startup with exit 1.
func TestMetricsListener(t *testing.T) {
	metrics := freePort(t)
	d := startDaemon(t, "-metrics-addr", metrics)
	resp, err := http.Get("http://" + metrics + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(body), "events_processed_total")
	resp, err = http.Get("http://" + metrics + "/debug/pprof/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 404, resp.StatusCode, "no pprof on the metrics listener")
	assert.Contains(t, d.logs.String(), "metrics listening")

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	for _, flagName := range []string{"-admin-addr", "-metrics-addr"} {
		cmd := exec.Command(daemonBin, "-addr", freePort(t), "-admin-addr", "", flagName, taken.Addr().String())
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		done := make(chan error, 1)
		require.NoError(t, cmd.Start())
		go func() { done <- cmd.Wait() }()
		select {
		case err = <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("%s on a taken port: the daemon did not exit", flagName)
		}
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, out.String())
		assert.Equal(t, 1, exit.ExitCode(), out.String())
		assert.Contains(t, out.String(), flagName[1:], "the error names the flag")
	}
}
