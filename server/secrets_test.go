package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cluster's password shows nowhere: not in the log of a daemon that joined with it,
// not in the errors of a bad URL or of a password given twice, and not in
// /debug/pprof/cmdline when it comes from a file or REDISCLI_AUTH.
func TestClusterPasswordNeverLeaks(t *testing.T) {
	const secret = "s3cret-Pa55"
	r := startRedis(t, "--requirepass", secret)
	inURL := "redis://default:" + secret + "@" + r.Addr() + "/0"

	cmdline := func(t *testing.T, admin string) string {
		resp, err := http.Get("http://" + admin + "/debug/pprof/cmdline")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		return string(b)
	}

	t.Run("in the URL", func(t *testing.T) {
		admin := freePort(t)
		d := startDaemon(t, "-cluster", inURL, "-node-id", "a", "-flush-interval", "20ms", "-admin-addr", admin)
		sendRange(t, d, 0, 10, 10)
		assert.Equal(t, "cluster", d.clusterStats(t).Scope)
		c := cmdline(t, admin)
		assert.Contains(t, c, "\x00redis://default:xxxxx@"+r.Addr()+"/0\x00", "pprof's cmdline, redacted")
		assert.NotContains(t, c, secret)
		require.Equal(t, 0, d.stop())
		logs := d.logs.String()
		assert.Contains(t, logs, "redis=redis://default:xxxxx@"+r.Addr()+"/0", "the joined cluster line")
		assert.NotContains(t, logs, secret)
	})

	t.Run("bad URLs", func(t *testing.T) {
		dir := t.TempDir()
		tests := []struct {
			url  string
			env  []string
			args []string
			code int
			want string
		}{
			// Refused with the flags (exit 2), before any connection.
			{url: "redis://default:" + secret + "@" + r.Addr() + "/x", code: 2, want: `the path "/x" is not /N`},
			{url: "redis://default:" + secret + "@127.0.0.1:x1/0", code: 2, want: `the port "x1" is not a number`},
			{url: "redis://default:" + secret + "/0@" + r.Addr() + "/0", code: 2, want: "must be percent-encoded"},
			{url: "redis://default:" + secret + "%zz@" + r.Addr() + "/0", code: 2, want: "not followed by two hex digits"},
			{url: "http://default:" + secret + "@" + r.Addr() + "/0", code: 2, want: "want redis://"},
			{url: "default:" + secret + "@" + r.Addr(), code: 2, want: `-cluster default:xxxxx@`},
			{url: inURL, env: []string{"REDISCLI_AUTH=" + secret}, code: 2,
				want: "given by the -cluster URL and REDISCLI_AUTH"},
			{url: inURL, args: []string{"-cluster-password-file", filepath.Join(dir, "missing")}, code: 2,
				want: "-cluster-password-file: open "},
		}
		for _, tc := range tests {
			// A daemon that starts when it should not is killed by the deadline.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, daemonBin, append([]string{"-addr", freePort(t), "-admin-addr", "", "-cluster", tc.url,
				"-node-id", "a"}, tc.args...)...)
			cmd.Env = append(os.Environ(), tc.env...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "%s: %s", tc.url, out)
			assert.Equal(t, tc.code, exit.ExitCode(), "%s: %s", tc.url, out)
			assert.Contains(t, string(out), tc.want, tc.url)
			assert.NotContains(t, string(out), secret, tc.url)
			assert.NotContains(t, string(out), "s3cret", tc.url)
		}
	})

	noPass := "redis://" + r.Addr() + "/0"

	t.Run("from a file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "redis-password")
		require.NoError(t, os.WriteFile(path, []byte(secret+"\n"), 0o600))
		admin := freePort(t)
		d := startDaemon(t, "-cluster", noPass, "-cluster-password-file", path, "-node-id", "b", "-admin-addr", admin)
		assert.Equal(t, "cluster", d.clusterStats(t).Scope)
		c := cmdline(t, admin)
		assert.Contains(t, c, "-cluster-password-file")
		assert.NotContains(t, c, secret)
		require.Equal(t, 0, d.stop())
		assert.NotContains(t, d.logs.String(), secret)
	})

	t.Run("from REDISCLI_AUTH", func(t *testing.T) {
		t.Setenv("REDISCLI_AUTH", secret)
		admin := freePort(t)
		d := startDaemon(t, "-cluster", noPass, "-node-id", "c", "-admin-addr", admin)
		assert.Equal(t, "cluster", d.clusterStats(t).Scope)
		c := cmdline(t, admin)
		assert.Contains(t, c, noPass)
		assert.NotContains(t, c, secret)
		require.Equal(t, 0, d.stop())
		assert.NotContains(t, d.logs.String(), secret)
	})
}

func TestConfigClusterPassword(t *testing.T) {
	const secret = "s3cret"
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(file, []byte("  "+secret+"\n"), 0o600))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))

	cfg, err := parseConfig([]string{"-cluster", "redis://h:1/0", "-cluster-password-file", file}, env(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, secret, cfg.password, "the file's content, trimmed")
	cfg, err = parseConfig(nil, env(map[string]string{"ONEMRC_CLUSTER": "redis://u@h:1/0", "ONEMRC_CLUSTER_PASSWORD_FILE": file}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, secret, cfg.password, "ONEMRC_CLUSTER_PASSWORD_FILE")
	cfg, err = parseConfig([]string{"-cluster", "redis://h:1/0"}, env(map[string]string{"REDISCLI_AUTH": secret}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, secret, cfg.password, "REDISCLI_AUTH")
	cfg, err = parseConfig(nil, env(map[string]string{"REDISCLI_AUTH": secret}), io.Discard)
	require.NoError(t, err)
	assert.Empty(t, cfg.password, "REDISCLI_AUTH alone does not matter without -cluster")

	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-cluster", "redis://u:" + secret + "@h:1/0", "-cluster-password-file", file}, nil,
			"given by the -cluster URL and -cluster-password-file"},
		{[]string{"-cluster", "redis://h:1/0", "-cluster-password-file", file}, map[string]string{"REDISCLI_AUTH": secret},
			"given by -cluster-password-file and REDISCLI_AUTH"},
		{[]string{"-cluster", "redis://h:1/0", "-cluster-password-file", filepath.Join(dir, "none")}, nil, "no such file"},
		{[]string{"-cluster", "redis://h:1/0", "-cluster-password-file", dir}, nil, "is a directory"},
		{[]string{"-cluster", "redis://h:1/0", "-cluster-password-file", empty}, nil, "empty"},
		{[]string{"-cluster-password-file", file}, nil, "needs -cluster"},
		{[]string{"-cluster", "h:1/0?u:" + secret + "@"}, nil, "want redis://"},
	} {
		_, err := parseConfig(tc.args, env(tc.env), io.Discard)
		require.Error(t, err, "%v", tc.args)
		assert.Contains(t, err.Error(), tc.want)
		assert.NotContains(t, err.Error(), secret)
		assert.Equal(t, 2, exitCode(err))
	}
}
