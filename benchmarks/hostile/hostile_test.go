package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// statusText is a trimmed /proc/PID/status as Linux 6.x writes it.
const statusText = `Name:	onemrcd
Umask:	0022
State:	S (sleeping)
VmPeak:	 1247192 kB
VmSize:	 1247192 kB
VmHWM:	   18852 kB
VmRSS:	   12044 kB
RssAnon:	    4608 kB
Threads:	7
`

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    memory
		wantErr bool
	}{
		{name: "real", text: statusText, want: memory{RSS: 12044 << 10, HWM: 18852 << 10, Anon: 4608 << 10}},
		{name: "no RssAnon (Linux < 4.5)", text: "VmHWM:\t3 kB\nVmRSS:\t2 kB\n", want: memory{RSS: 2 << 10, HWM: 3 << 10}},
		{name: "bad RssAnon", text: "VmHWM:\t3 kB\nVmRSS:\t2 kB\nRssAnon:\t1 MB\n", wantErr: true},
		{name: "zero", text: "VmHWM:\t0 kB\nVmRSS:\t0 kB\n", want: memory{}},
		{name: "no VmRSS", text: "VmHWM:\t1 kB\n", wantErr: true},
		{name: "no VmHWM", text: "VmRSS:\t1 kB\n", wantErr: true},
		{name: "empty", text: "", wantErr: true},
		{name: "other unit", text: "VmHWM:\t1 MB\nVmRSS:\t1 kB\n", wantErr: true},
		{name: "no unit", text: "VmHWM:\t1\nVmRSS:\t1 kB\n", wantErr: true},
		{name: "not a number", text: "VmHWM:\tx kB\nVmRSS:\t1 kB\n", wantErr: true},
		{name: "negative", text: "VmHWM:\t-1 kB\nVmRSS:\t1 kB\n", wantErr: true},
		// A name that only starts like a wanted one is another field.
		{name: "prefix only", text: "VmRSSx:\t5 kB\nVmHWM:\t1 kB\nVmRSS:\t2 kB\n", want: memory{RSS: 2 << 10, HWM: 1 << 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatus(strings.NewReader(tt.text))
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestReadMemorySelf(t *testing.T) {
	m, err := readMemory(os.Getpid())
	require.NoError(t, err)
	assert.Positive(t, m.RSS)
	assert.GreaterOrEqual(t, m.HWM, m.RSS)
}

func TestCountSockets(t *testing.T) {
	dir := t.TempDir()
	links := map[string]string{
		"0": "/dev/null",
		"1": "pipe:[1234]",
		"3": "socket:[98765]",
		"4": "anon_inode:[eventpoll]",
		"5": "socket:[98766]",
		"6": "/tmp/socket:[1]", // a file named like a socket is not one
		"7": "socket:[98767]",
	}
	for name, target := range links {
		require.NoError(t, os.Symlink(target, filepath.Join(dir, name)))
	}
	n, err := countSockets(dir)
	require.NoError(t, err)
	assert.Equal(t, 3, n)

	_, err = countSockets(filepath.Join(dir, "missing"))
	assert.Error(t, err)
}

func TestParseGCLine(t *testing.T) {
	line := "gc 9 @127.351s 0%: 0.073+111+0.005 ms clock, 0.14+0/2.2/0+0.011 ms cpu, 425->425->423 MB, 603 MB goal, 0 MB stacks, 0 MB globals, 2 P"
	g, ok := parseGCLine(line)
	require.True(t, ok)
	assert.Equal(t, 9, g.N)
	assert.Equal(t, 127351*time.Millisecond, g.At)
	assert.Equal(t, 73*time.Microsecond, g.SweepTerm)
	assert.Equal(t, 111*time.Millisecond, g.Mark)
	assert.Equal(t, 5*time.Microsecond, g.MarkTerm)
	assert.Equal(t, 78*time.Microsecond, g.STW())
	assert.Equal(t, 423, g.HeapLive)
	assert.False(t, g.Forced)

	g, ok = parseGCLine("gc 12 @31.5s 0%: 0.05+20+0.01 ms clock, 0.1+0/5/1+0.02 ms cpu, 310->310->305 MB, 610 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)")
	require.True(t, ok)
	assert.True(t, g.Forced)
	assert.Equal(t, 305, g.HeapLive)

	for _, bad := range []string{
		"onemrcd listening on 127.0.0.1:8080",
		"gc 1 @0.1s 0%: 0.1+0.2 ms clock, 1 MB",
		"gc x @0.1s 0%: 0.1+0.2+0.3 ms clock, 1 MB",
		"gc 1 @0.1s 0%: 0.1+y+0.3 ms clock",
		"gc 1 @0.1s 0%: 0.1+0.2+0.3 ms cpu,",
		"scvg: 1 MB released",
	} {
		_, ok := parseGCLine(bad)
		assert.False(t, ok, bad)
	}
}

func TestSummarizeGC(t *testing.T) {
	lines := []string{
		"onemrcd: listening",
		"gc 1 @0.1s 1%: 0.010+1.0+0.020 ms clock, 0 ms cpu, 4->4->1 MB, 4 MB goal, 2 P",
		"gc 2 @0.2s 1%: 2.0+3.0+0.5 ms clock, 0 ms cpu, 8->8->2 MB, 8 MB goal, 2 P",
		"gc 3 @0.3s 1%: 0.1+9.0+0.1 ms clock, 0 ms cpu, 8->8->2 MB, 8 MB goal, 2 P",
	}
	s := summarizeGC(lines, 2)
	assert.Equal(t, 3, s.Cycles)
	assert.Equal(t, 2, s.MaxSTW.N)
	assert.Equal(t, 2500*time.Microsecond, s.MaxSTW.STW())
	assert.Equal(t, 9*time.Millisecond, s.MaxMark)
	require.Len(t, s.Last, 2)
	assert.Equal(t, 3, s.Last[1].N)
}

func TestReadResponse(t *testing.T) {
	in := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 15\r\n\r\n{\"status\":\"ok\"}" +
		"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" +
		"garbage\r\n"
	br := bufio.NewReader(strings.NewReader(in))
	status, body, err := readResponse(br)
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	assert.Equal(t, `{"status":"ok"}`, string(body))
	status, body, err = readResponse(br)
	require.NoError(t, err)
	assert.Equal(t, 413, status)
	assert.Empty(t, body)
	_, _, err = readResponse(br)
	assert.ErrorIs(t, err, errBadResponse)
}

func TestCheckStats(t *testing.T) {
	total, unique, sum, avg := expectedStats(10_000_000, 10_000_000)
	assert.Equal(t, int64(10_000_000), total)
	assert.Equal(t, int64(10_000_000), unique)
	assert.Equal(t, "4995000000", sum.String())
	assert.Equal(t, 499.5, avg)

	// The challenge's standard run.
	_, unique, sum, avg = expectedStats(1_000_000, 75_000)
	assert.Equal(t, int64(75_000), unique)
	assert.Equal(t, "499500000", sum.String())
	assert.Equal(t, 499.5, avg)

	// A tail that is not a whole block of 1000: values 0..4.
	_, _, sum, _ = expectedStats(1005, 1)
	assert.Equal(t, "499510", sum.String())

	good, err := parseStats([]byte(`{"totalRequests":1000000,"uniqueUsers":75000,"sum":499500000,"avg":499.5}`))
	require.NoError(t, err)
	assert.Empty(t, checkStats(good, 1_000_000, 75_000))
	bad, err := parseStats([]byte(`{"totalRequests":999999,"uniqueUsers":75000,"sum":499500000,"avg":499.5}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"totalRequests = 999999, want 1000000"}, checkStats(bad, 1_000_000, 75_000))
	_, err = parseStats([]byte(`{"totalRequests":1,"extra":2}`))
	assert.Error(t, err)
}

func TestUpdateReadme(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	require.NoError(t, os.WriteFile(path, []byte("# Title\n\nprose\n"), 0o644))
	require.NoError(t, updateReadme(path, "a", "first"))
	require.NoError(t, updateReadme(path, "b", "second"))
	require.NoError(t, updateReadme(path, "a", "again"))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "# Title\n\nprose\n\n<!-- BEGIN a -->\nagain\n<!-- END a -->\n\n<!-- BEGIN b -->\nsecond\n<!-- END b -->\n", string(got))
}

func TestProbeLine(t *testing.T) {
	for _, r := range []probeResult{
		{status: 200, connect: 150 * time.Microsecond, latency: 2 * time.Millisecond},
		{connect: time.Second, err: probeError(`dial tcp: "quoted" error with spaces`)},
	} {
		got, err := parseProbeLine(formatProbeLine(r))
		require.NoError(t, err)
		assert.Equal(t, r, got)
	}
	for _, bad := range []string{"", "200 1 2", "x 1 2 \"\"", "200 1 2 unquoted"} {
		_, err := parseProbeLine(bad)
		assert.Error(t, err, bad)
	}
}
