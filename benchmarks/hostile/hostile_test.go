package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

func TestReadSumsOverProcesses(t *testing.T) {
	one := read([]int{os.Getpid()})
	require.NoError(t, one.Err)
	two := read([]int{os.Getpid(), os.Getpid()})
	require.NoError(t, two.Err)
	// Summed over the list: twice this process is about twice its memory and sockets.
	assert.InDelta(t, 2*one.RSS, two.RSS, float64(one.RSS)/2)
	assert.Equal(t, 2*one.Sockets, two.Sockets)
	assert.GreaterOrEqual(t, two.CPU, 2*one.CPU)
	assert.Error(t, read([]int{os.Getpid(), 1 << 30}).Err)
}

func TestTrickleHeaderRequestIsValidAndExact(t *testing.T) {
	for _, total := range []int{minTrickleBytes, 1000, 1024, 1025, 8192, 9000, maxTrickleBytes} {
		b := trickleHeaderRequest(total, 12345)
		require.Len(t, b, total)
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(b)))
		require.NoError(t, err, total)
		assert.Equal(t, "/health", req.URL.Path)
		assert.Equal(t, "12345", req.Header.Get("X-Client"))
		lines := strings.Split(strings.TrimSuffix(string(b), "\r\n\r\n"), "\r\n")
		assert.LessOrEqual(t, len(lines)-1, 64, "onemrcd's -max-headers")
		for _, l := range lines {
			assert.LessOrEqual(t, len(l)+2, trickleHeaderLine)
		}
	}
}

func TestTrickleChunkBodyDecodes(t *testing.T) {
	body := `{"userId":"trickle_7","value":7}`
	for _, total := range []int{minTrickleBytes, 4000, 8192, maxTrickleBytes} {
		b := trickleChunkBody(total, body)
		assert.Len(t, b, total)
		// Go's chunked reader skips extensions and bounds a line at 4096 bytes, like onemrcd.
		got, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(b)))
		require.NoError(t, err, total)
		assert.Equal(t, body, string(got))
		for l := range strings.Lines(string(b)) {
			assert.LessOrEqual(t, len(l), trickleChunkLine)
		}
		assert.True(t, strings.HasSuffix(string(b), "\r\n0\r\n\r\n"))
	}
	// A body too short for one chunk per 4000 bytes: one chunk per byte, lines at most
	// trickleChunkLine, fewer bytes than asked.
	b := trickleChunkBody(3*trickleChunkLine, "ab")
	got, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(b)))
	require.NoError(t, err)
	assert.Equal(t, "ab", string(got))
	assert.Len(t, b, 2*(trickleChunkLine+len("a\r\n"))+len("0\r\n\r\n"))
}

func TestSummarizeNoRead(t *testing.T) {
	results := []noreadResult{
		{DialErr: errors.New("refused")},
		{Sent: 100, WriteEnded: syscall.ECONNRESET, ClosedIn: time.Second},
		{Sent: 300, WriteEnded: os.ErrDeadlineExceeded, BlockedFor: 3 * time.Second},
		{Sent: 200, WriteEnded: os.ErrDeadlineExceeded, BlockedFor: pausedAfter},
		{Sent: 900, WriteEnded: os.ErrDeadlineExceeded, BlockedFor: time.Millisecond},
	}
	assert.Equal(t, []string{"no connection", "closed", "paused", "paused", "still read"},
		[]string{noreadKind(results[0]), noreadKind(results[1]), noreadKind(results[2]), noreadKind(results[3]), noreadKind(results[4])})
	o := summarizeNoRead(results, 10*time.Second)
	assert.Equal(t, "2 / 1 / 1", figureValue(o, "non-readers paused (writes blocked >= 1 s at the end) / closed / still read"))
	require.Len(t, o.Problems, 1)
	assert.Contains(t, o.Problems[0], "1 clients could not connect")
}

func TestSummarizeResetClose(t *testing.T) {
	var t1, t2 innocentTally
	t1.Conns, t1.Failed, t1.FirstErr = 1000, 1, "EOF"
	t1.fail("EOF (clean close) before answer 1", 1)
	t2.Conns, t2.Failed = 1000, 2
	t2.fail("EOF (clean close) before answer 1", 1)
	t2.fail("connection reset before answer 3", 1)
	var all innocentTally
	all.merge(t1)
	all.merge(t2)
	assert.Equal(t, 2000, all.Conns)
	assert.Equal(t, 3, all.Failed)
	assert.Equal(t, map[string]int{"EOF (clean close) before answer 1": 2, "connection reset before answer 3": 1}, all.Kinds)
	o := summarizeResetClose(all, innocentTally{Conns: 50_000})
	assert.Equal(t, "1.50", figureValue(o, "lost per 1,000 innocent connections"))
	assert.Equal(t, "50000", figureValue(o, "attacks (request, then RST)"))
	require.Len(t, o.Problems, 1)

	o = summarizeResetClose(innocentTally{Conns: 10}, innocentTally{Conns: 10})
	assert.Empty(t, o.Problems)
	assert.Equal(t, "0.00", figureValue(o, "lost per 1,000 innocent connections"))
}

func TestCPUPerConnectionAndRatio(t *testing.T) {
	mk := func(target string, round int, cpu time.Duration) result {
		return result{Target: target, Round: round, CPU: cpu, Outcome: outcome{PerConn: 20}}
	}
	rs := []result{
		mk("onemrcd", 1, 2*time.Second), mk("nginx", 1, 400*time.Millisecond),
		mk("onemrcd", 2, 1*time.Second), mk("nginx", 2, 200*time.Millisecond),
		mk("onemrcd", 3, 3*time.Second), mk("nginx", 3, 100*time.Millisecond),
	}
	assert.Equal(t, 100*time.Millisecond, rs[0].cpuPerConn())
	labels, medians := medianCPUPerConn(rs)
	assert.Equal(t, []string{"onemrcd", "nginx"}, labels)
	assert.Equal(t, []time.Duration{100 * time.Millisecond, 10 * time.Millisecond}, medians)
	assert.Equal(t, "CPU per connection, median of 3 round(s): onemrcd 100.0 ms, nginx 10.0 ms; onemrcd / nginx = 10.00x.", cpuRatioLine(rs))

	assert.Equal(t, 15*time.Millisecond, median([]time.Duration{20 * time.Millisecond, 10 * time.Millisecond}))
	assert.Equal(t, time.Duration(0), median(nil))
	assert.Equal(t, time.Duration(0), result{CPU: time.Second}.cpuPerConn())
}

func TestScenarioMarkdownSideBySide(t *testing.T) {
	rs := []result{
		{Name: "x", About: "about", Target: "onemrcd", Round: 1, CPU: time.Second, Outcome: outcome{Figures: []figure{{"a", "1"}}}},
		{Name: "x", About: "about", Target: "nginx", Round: 1, CPU: time.Second, Outcome: outcome{Figures: []figure{{"b", "2"}}, Problems: []string{"bad"}}},
	}
	md := scenarioMarkdown(rs, []string{"onemrcd: built", "nginx: 1.22"}, "go run ./benchmarks/hostile")
	assert.Contains(t, md, "| | onemrcd | nginx |\n|---|---:|---:|\n")
	assert.Contains(t, md, "| a | 1 | - |\n| b | - | 2 |\n")
	assert.Contains(t, md, "| verdict | PASS | **FAIL** |\n")
	assert.Contains(t, md, "- verdict: **FAIL: bad**\n")
}

func TestNginxConfigPassesNginxT(t *testing.T) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("no nginx")
	}
	dir := t.TempDir()
	args, err := nginxConfig(dir, "127.0.0.1:1", 2).Write()
	require.NoError(t, err)
	out, err := exec.Command(bin, append([]string{"-t"}, args...)...).CombinedOutput()
	require.NoError(t, err, string(out))
}
