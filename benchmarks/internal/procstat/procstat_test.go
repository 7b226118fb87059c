package procstat

import (
	"net"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The parsing is procfs's and tested there; these tests check the wiring and the
// units against this process's own /proc.

func linuxOnly(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux only")
	}
}

func TestReadSelf(t *testing.T) {
	linuxOnly(t)
	// Burn CPU until the 10 ms tick counter moves; on a busy machine that may take
	// longer than 10 ms of wall time, so bound it generously.
	var s Sample
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		s, err = Read(os.Getpid())
		require.NoError(t, err)
		if s.CPU > 0 {
			break
		}
	}
	assert.Positive(t, s.CPU)
	assert.Zero(t, s.CPU%Tick, "CPU time is whole ticks")
	assert.Greater(t, s.PeakRSS, int64(1<<20))
	assert.GreaterOrEqual(t, s.PeakRSS, s.RSS)
	assert.Positive(t, s.Anon)
	assert.LessOrEqual(t, s.Anon, s.RSS)

	cpu, err := CPU(os.Getpid())
	require.NoError(t, err)
	assert.GreaterOrEqual(t, cpu, s.CPU)

	_, err = Read(1 << 30) // no such process
	require.Error(t, err)
}

func TestSocketsCountsOnlySockets(t *testing.T) {
	linuxOnly(t)
	before, err := Sockets(os.Getpid())
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f, err := os.Open(os.DevNull)
	require.NoError(t, err)
	after, err := Sockets(os.Getpid())
	ln.Close()
	f.Close()
	require.NoError(t, err)
	assert.Equal(t, before+1, after)
}

func TestChildrenAndResetPeak(t *testing.T) {
	linuxOnly(t)
	cmd := exec.Command("sleep", "30")
	require.NoError(t, cmd.Start())
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	kids, err := Children(os.Getpid())
	require.NoError(t, err)
	assert.Contains(t, kids, cmd.Process.Pid)
	// A parent may reset its child's peak; a missing process cannot be reset.
	assert.NoError(t, ResetPeak(cmd.Process.Pid))
	assert.Error(t, ResetPeak(1<<30))
}

func TestMachineCounters(t *testing.T) {
	linuxOnly(t)
	c, err := ReadCore(0)
	require.NoError(t, err)
	assert.Positive(t, c.Busy+c.Idle)
	assert.Zero(t, c.Busy%Tick, "busy time is whole ticks")
	_, err = ReadCore(1 << 20)
	assert.ErrorContains(t, err, "no cpu1048576")

	pages, err := TCPMemPages()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, pages, int64(0))
	pressure, err := TCPMemPressure()
	require.NoError(t, err)
	assert.Positive(t, pressure)
}

func TestMachineLine(t *testing.T) {
	linuxOnly(t)
	assert.NotEqual(t, "unknown CPU", CPUModel())
	assert.Regexp(t, `^\d+\.\d\d \d+\.\d\d \d+\.\d\d$`, LoadAverage())
}
