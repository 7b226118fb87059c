package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigLogFlags(t *testing.T) {
	cfg, err := parseConfig(nil, env(nil), io.Discard)
	require.NoError(t, err)
	assert.False(t, cfg.logFormat.json)
	assert.Equal(t, slog.LevelInfo, cfg.logLevel.level)

	cfg, err = parseConfig([]string{"-log-format", "json", "-log-level", "debug"}, env(nil), io.Discard)
	require.NoError(t, err)
	assert.True(t, cfg.logFormat.json)
	assert.Equal(t, slog.LevelDebug, cfg.logLevel.level)

	cfg, err = parseConfig(nil, env(map[string]string{"ONEMRC_LOG_FORMAT": "json", "ONEMRC_LOG_LEVEL": "warn"}), io.Discard)
	require.NoError(t, err)
	assert.True(t, cfg.logFormat.json)
	assert.Equal(t, slog.LevelWarn, cfg.logLevel.level)

	cfg, err = parseConfig([]string{"-config", writeConfig(t, `{"log-format": "json", "log-level": "error"}`)}, env(nil), io.Discard)
	require.NoError(t, err)
	assert.True(t, cfg.logFormat.json)
	assert.Equal(t, slog.LevelError, cfg.logLevel.level)

	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-log-format", "logfmt"}, nil, "want text or json"},
		{[]string{"-log-level", "INFO+2"}, nil, "want debug, info, warn or error"},
		{[]string{"-log-level", "trace"}, nil, "want debug"},
		{nil, map[string]string{"ONEMRC_LOG_LEVEL": ""}, "ONEMRC_LOG_LEVEL"},
		{nil, map[string]string{"ONEMRC_LOG_FORMAT": "JSON"}, "ONEMRC_LOG_FORMAT"},
		{[]string{"-config", writeConfig(t, `{"log-level": 4}`)}, nil, `invalid value "4"`},
	} {
		_, err := parseConfig(tc.args, env(tc.env), io.Discard)
		require.Error(t, err, "%v %v", tc.args, tc.env)
		assert.Contains(t, err.Error(), tc.want)
		assert.Equal(t, 2, exitCode(err))
	}
}

// -log-format json writes one JSON object per line, from the first line to the last;
// -log-level warn keeps the startup quiet.
func TestDaemonLogFormats(t *testing.T) {
	d := startDaemon(t, "-log-format", "json", "-log-level", "debug")
	require.Equal(t, 0, d.stop())
	lines := strings.Split(strings.TrimSpace(d.logs.String()), "\n")
	require.NotEmpty(t, lines)
	msgs := []string{}
	for _, line := range lines {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		assert.Contains(t, rec, "level")
		msgs = append(msgs, rec["msg"].(string))
	}
	assert.Contains(t, msgs, "onemrcd listening")
	assert.Contains(t, msgs, "onemrcd stopped")

	d = startDaemon(t, "-log-level", "warn")
	require.Equal(t, 0, d.stop())
	assert.Empty(t, d.logs.String(), "nothing at warn or above in a clean run")
}
