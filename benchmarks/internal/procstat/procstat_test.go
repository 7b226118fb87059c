package procstat

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
		err  error
	}{
		{
			name: "plain comm",
			in:   "4242 (onemrcd) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 130 0 0 20 0 4 0 12345 1234567 890 18446744073709551615\n",
			want: 3800 * time.Millisecond,
		},
		{
			name: "comm with spaces and parens",
			in:   "7 (a) b (c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 1 1\n",
			want: 30 * time.Millisecond,
		},
		{name: "no comm", in: "4242 onemrcd S 1", err: ErrFormat},
		{name: "truncated", in: "4242 (x) S 1 2 3", err: ErrFormat},
		{name: "not a number", in: "1 (x) S 1 1 1 0 -1 0 0 0 0 0 x 2 0", err: ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.in))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\tonemrcd\nVmPeak:\t 1300000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t4\n"
	hwm, err := parseStatusKB([]byte(status), "VmHWM")
	require.NoError(t, err)
	assert.Equal(t, int64(50<<20), hwm)
	rss, err := parseStatusKB([]byte(status), "VmRSS")
	require.NoError(t, err)
	assert.Equal(t, int64(40<<20), rss)

	_, err = parseStatusKB([]byte(status), "VmSwap")
	require.ErrorIs(t, err, ErrFormat)
	_, err = parseStatusKB([]byte("VmHWM:\t12 MB\n"), "VmHWM")
	require.ErrorIs(t, err, ErrFormat)
}

func TestReadSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux only")
	}
	// Burn CPU until the 10 ms tick counter moves; on a busy machine that
	// may take longer than 10 ms of wall time, so bound it generously.
	var s Sample
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		s, err = Read(os.Getpid())
		require.NoError(t, err)
		if s.CPU > 0 {
			break
		}
	}
	assert.Greater(t, s.CPU, time.Duration(0))
	assert.Greater(t, s.PeakRSS, int64(1<<20))
	assert.GreaterOrEqual(t, s.PeakRSS, s.RSS)

	_, err = Read(1 << 30) // no such process
	require.Error(t, err)
}
