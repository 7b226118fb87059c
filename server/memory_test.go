package main

import (
	"flag"
	"io"
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryFlags(t *testing.T) {
	cfg, err := parseConfig(nil, env(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, defaultGCPercent, cfg.memory.gcPercent.value)
	assert.False(t, cfg.memory.gcPercent.set)
	assert.Zero(t, cfg.memory.limit.bytes)

	cfg, err = parseConfig([]string{"-gc-percent", "-1", "-memory-limit", "64MiB"}, env(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, gcPercentFlag{value: -1, set: true}, cfg.memory.gcPercent)
	assert.Equal(t, byteSizeFlag{bytes: 64 << 20, set: true}, cfg.memory.limit)

	cfg, err = parseConfig(nil, env(map[string]string{"ONEMRC_GC_PERCENT": "200", "ONEMRC_MEMORY_LIMIT": "1000"}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 200, cfg.memory.gcPercent.value)
	assert.Equal(t, int64(1000), cfg.memory.limit.bytes)

	cfg, err = parseConfig([]string{"-config", writeConfig(t, `{"memory-limit": "2GiB", "gc-percent": 25}`)}, env(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 25, cfg.memory.gcPercent.value)
	assert.Equal(t, int64(2<<30), cfg.memory.limit.bytes)

	for _, args := range [][]string{
		{"-gc-percent", "-2"}, {"-gc-percent", "half"},
		{"-memory-limit", "-1"}, {"-memory-limit", "1.5GiB"}, {"-memory-limit", "1GB"}, {"-memory-limit", "9000000TiB"},
	} {
		_, err := parseConfig(args, env(nil), io.Discard)
		assert.Error(t, err, "%q", args)
	}
}

// The flags set the runtime, but Go's own GOGC and GOMEMLIMIT, which the runtime read at
// start, win over a flag that was not given.
func TestMemoryConfigApply(t *testing.T) {
	restoreGC := debug.SetGCPercent(100)
	restoreLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(restoreGC)
		debug.SetMemoryLimit(restoreLimit)
	})
	current := func() (int, int64) {
		gc := debug.SetGCPercent(-1)
		debug.SetGCPercent(gc)
		return gc, debug.SetMemoryLimit(-1) // a negative limit only reads it
	}

	var m memoryConfig
	registerMemoryFlags(flag.NewFlagSet("t", flag.ContinueOnError), &m)
	m.apply(env(nil))
	gc, limit := current()
	assert.Equal(t, defaultGCPercent, gc, "the default applies when GOGC is not set")
	assert.Equal(t, int64(math.MaxInt64), limit, "no limit by default")

	debug.SetGCPercent(300) // as GOGC=300 would have
	m.apply(env(map[string]string{"GOGC": "300", "GOMEMLIMIT": "1GiB"}))
	gc, _ = current()
	assert.Equal(t, 300, gc, "GOGC wins over the flag's default")

	require.NoError(t, m.gcPercent.Set("40"))
	require.NoError(t, m.limit.Set("512MiB"))
	m.apply(env(map[string]string{"GOGC": "300", "GOMEMLIMIT": "1GiB"}))
	gc, limit = current()
	assert.Equal(t, 40, gc, "a flag given wins over GOGC")
	assert.Equal(t, int64(512<<20), limit, "a flag given wins over GOMEMLIMIT")
}
