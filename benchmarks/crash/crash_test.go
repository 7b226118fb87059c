package main

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/benchmarks/internal/thousands"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-seed", "7"})
	require.NoError(t, err)
	assert.Equal(t, options{Conns: 50, Kills: 20, Modes: []string{"always", "interval", "off"},
		MinDelay: 200 * time.Millisecond, MaxDelay: 2 * time.Second, Loops: 2, Seed: 7, Timeout: 15 * time.Minute,
		Signal: syscall.SIGKILL}, o)

	o, err = parseFlags([]string{"-c", "10", "-kills", "2", "-modes", "always, off", "-min-delay", "1s", "-max-delay", "1s", "-json"})
	require.NoError(t, err)
	assert.Equal(t, []string{"always", "off"}, o.Modes)
	assert.NotZero(t, o.Seed)
	assert.True(t, o.JSON)

	for _, args := range [][]string{
		{"-c", "0"}, {"-c", "51"}, {"-kills", "0"}, {"-modes", ","}, {"-min-delay", "0s"},
		{"-min-delay", "2s", "-max-delay", "1s"}, {"-loops", "-1"}, {"-timeout", "0s"}, {"-signal", "HUP"}, {"extra"},
	} {
		_, err := parseFlags(args)
		assert.Error(t, err, "%q", args)
	}
}

// TestCrashShort kills a real daemon twice under load with -fsync always and checks that
// it kept every acknowledged event. A daemon that only checkpoints periodically fails it.
func TestCrashShort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and crashes the daemon: skipped with -short")
	}
	o := options{Conns: 10, Kills: 2, Modes: []string{"always"}, MinDelay: 200 * time.Millisecond,
		MaxDelay: 500 * time.Millisecond, Loops: 2, Seed: time.Now().UnixNano(), Timeout: 2 * time.Minute,
		Signal: syscall.SIGKILL, tmpRoot: t.TempDir()}
	var progress strings.Builder
	rep := run(context.Background(), o, &progress)
	t.Log("\n" + progress.String() + rep.table())
	require.Len(t, rep.Modes, 1, "%v", rep.Failures)
	m := rep.Modes[0]
	assert.Len(t, m.Kills, o.Kills)
	if m.FsyncDropped {
		t.Log("this daemon has no -fsync flag: it ran without it")
	}
	if !rep.Pass {
		var why strings.Builder
		fmt.Fprintf(&why, "the daemon (%s) lost acknowledged events or miscounted across SIGKILL: "+
			"%s acknowledged, %s lost (at least), %s restored after the last restart\n",
			m.Args, thousands.Uint(m.Acked), thousands.Uint(m.Lost), thousands.Uint(m.Restored))
		for _, f := range append(m.Failures, rep.Failures...) {
			fmt.Fprintln(&why, "  ", f)
		}
		t.Fatal(why.String())
	}
	assert.Zero(t, m.Lost)
	assert.GreaterOrEqual(t, m.Restored, m.Acked)
}

// TestCrashHarnessPassesAGracefulStop runs the same rounds with SIGTERM, after which
// the daemon writes its state: the harness must pass it, whatever the daemon's -fsync
// support, so a FAIL of TestCrashShort is the daemon's, not the harness's.
func TestCrashHarnessPassesAGracefulStop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and stops the daemon: skipped with -short")
	}
	o := options{Conns: 10, Kills: 2, Modes: []string{"always"}, MinDelay: 200 * time.Millisecond,
		MaxDelay: 500 * time.Millisecond, Loops: 2, Seed: time.Now().UnixNano(), Timeout: 2 * time.Minute,
		Signal: syscall.SIGTERM, tmpRoot: t.TempDir()}
	var progress strings.Builder
	rep := run(context.Background(), o, &progress)
	require.True(t, rep.Pass, "\n%s%s", progress.String(), rep.table())
	m := rep.Modes[0]
	assert.Len(t, m.Kills, o.Kills)
	assert.Zero(t, m.Lost)
	assert.Equal(t, m.Acked+m.InFlightKept, m.Restored)
	assert.NotZero(t, m.Acked)
}
