package main

import (
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// env is os.LookupEnv over kv: a key present with "" is a variable set to empty.
func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

func TestConfigPrecedence(t *testing.T) {
	cfg, err := parseConfig(nil, env(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, ":8080", cfg.addr)
	assert.Equal(t, runtime.GOMAXPROCS(0), cfg.loops, "-loops defaults to GOMAXPROCS")
	assert.False(t, cfg.reusePort)

	cfg, err = parseConfig(nil, env(map[string]string{"ONEMRC_ADDR": "127.0.0.1:9", "ONEMRC_LOOPS": "3", "ONEMRC_REUSEPORT": "true"}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9", cfg.addr)
	assert.Equal(t, 3, cfg.loops)
	assert.True(t, cfg.reusePort)

	cfg, err = parseConfig([]string{"-loops", "5", "-addr", "[::1]:80"}, env(map[string]string{"ONEMRC_LOOPS": "3"}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 5, cfg.loops, "the flag wins over the environment")
	assert.Equal(t, "[::1]:80", cfg.addr)
}

func TestConfigRejectsBadValues(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-loops", "0"}, nil, "-loops"},
		{[]string{"-loops", "x"}, nil, "invalid value"},
		{nil, map[string]string{"ONEMRC_LOOPS": "many"}, "ONEMRC_LOOPS"},
		{[]string{"-addr", "8080"}, nil, "host:port"},
		{[]string{"-addr", ":99999"}, nil, "port"},
		{[]string{"-max-body", "1"}, nil, "-max-body"},
		{[]string{"extra"}, nil, "unexpected argument"},
	}
	for _, tc := range cases {
		_, err := parseConfig(tc.args, env(tc.env), io.Discard)
		require.Error(t, err, "%v %v", tc.args, tc.env)
		assert.Contains(t, err.Error(), tc.want)
		assert.Equal(t, 2, exitCode(err))
	}
}

func TestHelpListsEveryFlagWithItsVariable(t *testing.T) {
	var out strings.Builder
	_, err := parseConfig([]string{"-h"}, env(nil), &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	assert.Equal(t, 0, exitCode(err))
	for _, name := range []string{"-addr", "ONEMRC_ADDR", "-loops", "ONEMRC_LOOPS", "-reuseport", "ONEMRC_REUSEPORT", "ONEMRC_MAX_BODY", "ONEMRC_CLUSTER_PASSWORD_FILE"} {
		assert.Contains(t, out.String(), name)
	}
}

func TestBinaryExitCodes(t *testing.T) {
	err := exec.Command(daemonBin, "-loops", "0").Run()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 2, exit.ExitCode())
	require.NoError(t, exec.Command(daemonBin, "-h").Run())
	out, err := exec.Command(daemonBin, "-version").Output()
	require.NoError(t, err)
	assert.Contains(t, string(out), "onemrcd")
}

// -loops follows GOMAXPROCS, which follows a container's CPU limit (Go 1.25+) or the
// GOMAXPROCS variable, not the machine's CPU count.
func TestLoopsDefaultIsGOMAXPROCS(t *testing.T) {
	cmd := exec.Command(daemonBin, "-h")
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err)
	assert.Regexp(t, `-loops  \[ONEMRC_LOOPS\]\n\s+event loops; the default is GOMAXPROCS[^\n]*\(default "1"\)\n`, string(out))
}

func writeConfig(t *testing.T, body string) string {
	path := filepath.Join(t.TempDir(), "onemrcd.json")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}

func TestConfigFilePrecedence(t *testing.T) {
	path := writeConfig(t, `{"addr": "127.0.0.1:7000", "loops": 3, "max-conns": 100000, "reuseport": true,
		"idle-timeout": "90s", "max-body": 4096}`)
	cfg, err := parseConfig([]string{"-config", path}, env(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:7000", cfg.addr)
	assert.Equal(t, 3, cfg.loops)
	assert.Equal(t, 100000, cfg.maxConns)
	assert.True(t, cfg.reusePort)
	assert.Equal(t, 90*time.Second, cfg.timeouts.Idle)
	assert.Equal(t, 4096, cfg.limits.MaxBody)

	// environment over file, command line over both; ONEMRC_CONFIG names the file too.
	cfg, err = parseConfig([]string{"-loops", "5"}, env(map[string]string{"ONEMRC_CONFIG": path, "ONEMRC_LOOPS": "4", "ONEMRC_MAX_BODY": "8192"}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 5, cfg.loops)
	assert.Equal(t, 8192, cfg.limits.MaxBody)
	assert.Equal(t, "127.0.0.1:7000", cfg.addr)
}

func TestConfigFileRejectsMistakes(t *testing.T) {
	for body, want := range map[string]string{
		`{"adress": ":1"}`:  `unknown option "adress"`,
		`{"loops": "two"}`:  `invalid value "two"`,
		`{"loops": 0}`:      `-loops 0`,
		`{"loops": [1]}`:    `want a string, number or boolean`,
		`["loops"]`:         `not a JSON object`,
		`{"loops": 2`:       `not a JSON object`,
		`{"loops": 2} {}`:   `not a JSON object`,
		`null`:              `not a JSON object`,
		`{"version": true}`: `unknown option "version"`,
		`{"max-body": 1.5}`: `invalid value "1.5"`,
	} {
		_, err := parseConfig([]string{"-config", writeConfig(t, body)}, env(nil), io.Discard)
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), want, body)
		assert.Equal(t, 2, exitCode(err))
	}
	_, err := parseConfig([]string{"-config", "/nonexistent/onemrcd.json"}, env(nil), io.Discard)
	require.Error(t, err)
}

// Every default is stated once, in code (httpparse.Default*, loop.DefaultMaxPendingOutput,
// loop.Default*Timeout, the flag definitions); the README's option table must say the
// same, and list every flag.
func TestReadmeStatesTheFlagDefaults(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	documented := map[string]string{}
	for _, line := range strings.Split(string(readme), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`-") {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`-")
		documented[name] = strings.Trim(strings.TrimSpace(cells[2]), "`")
	}
	var cfg config
	fs := newFlagSet(&cfg, io.Discard)
	fs.VisitAll(func(f *flag.Flag) {
		doc, ok := documented[f.Name]
		if f.Name == "version" {
			return // not an option: an action
		}
		if !assert.True(t, ok, "-%s is missing from the README's option table", f.Name) {
			return
		}
		switch {
		case f.Name == "loops" || f.Name == "node-id":
			return // machine-dependent defaults, described in words
		case doc == "empty":
			doc = ""
		}
		if dd, err := time.ParseDuration(doc); err == nil {
			fd, err := time.ParseDuration(f.DefValue)
			require.NoError(t, err, f.Name)
			assert.Equal(t, fd, dd, "-%s", f.Name)
			return
		}
		assert.Equal(t, f.DefValue, doc, "-%s: the README states another default", f.Name)
	})
}
