package main

import (
	"flag"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestConfigPrecedence(t *testing.T) {
	cfg, err := parseConfig(nil, env(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, ":8080", cfg.addr)
	assert.Positive(t, cfg.loops)
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
	for _, name := range []string{"-addr", "ONEMRC_ADDR", "-loops", "ONEMRC_LOOPS", "-reuseport", "ONEMRC_REUSEPORT", "ONEMRC_MAX_BODY"} {
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
