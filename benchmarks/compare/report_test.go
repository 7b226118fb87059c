package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteMarkdownAndJSON(t *testing.T) {
	cells, modes, peers := fakeCells()
	cells[2].Failure = "nginx: not healthy in time"
	res := results{Command: "go run ./benchmarks/compare -rounds 3", Rounds: 3, Duration: "10s", Modes: modes,
		Peers: []string{"onemrc", "fasthttp", "nginx"}, Cells: cells,
		Machine: machine{Cores: "2", CPUModel: "Test CPU", Kernel: "6.1", GoVersion: "go1.26.8", Wrk: "wrk 4.1.0"}}
	res.Summary = summarize(cells, modes, peers)
	res.Targets = evaluateTargets(res.Summary, modes)

	var md bytes.Buffer
	writeMarkdown(&md, res)
	text := md.String()
	assert.Contains(t, text, "`go run ./benchmarks/compare -rounds 3`")
	assert.Contains(t, text, "Test CPU")
	assert.Contains(t, text, "| c1000 | onemrc | 90,000 | 1.00x | 11.00 | 1.00x |")
	assert.Contains(t, text, "| onemrc req/s vs fasthttp | pipe16 | 1.80x | >= 2.0x | MISSED |")
	assert.Contains(t, text, "c1000 nginx round 1: nginx: not healthy in time")
	tableRows := 0
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, "| c1000 |") || strings.HasPrefix(line, "| pipe16 |") {
			tableRows++
		}
	}
	assert.Equal(t, 6, tableRows)

	var js bytes.Buffer
	require.NoError(t, writeJSON(&js, res))
	var back results
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Len(t, back.Cells, len(cells))
	assert.Equal(t, res.Command, back.Command)
}

func TestFmtRate(t *testing.T) {
	cases := map[float64]string{0: "0", 999: "999", 1000: "1,000", 343167.4: "343,167", 1234567: "1,234,567"}
	for in, want := range cases {
		assert.Equal(t, want, fmtRate(number(in)))
	}
}

func TestWrkVersion(t *testing.T) {
	banner := "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer\nUsage: wrk <options> <url>\n"
	assert.Equal(t, "wrk debian/4.1.0-3+b2 [epoll]", wrkVersion(banner))
	assert.Equal(t, "", wrkVersion(""))
}

func TestClientBound(t *testing.T) {
	rows := []summaryRow{
		{Mode: "c100", Peer: "onemrc", ClientCPUShare: 0.99, CPUShare: 0.85},
		{Mode: "c100", Peer: "nethttp", ClientCPUShare: 0.6, CPUShare: 1},
		{Mode: "c100", Peer: "nginx", ClientCPUShare: 0.95, CPUShare: 0.9},
		{Mode: "c100", Peer: "fasthttp", ClientCPUShare: 0.97, CPUShare: 0.99}, // both saturated
	}
	assert.Equal(t, []string{"c100 onemrc", "c100 nginx"}, clientBound(rows))
	assert.Empty(t, clientBound(rows[1:2]))
}

func TestOutputDirIsATempFolderUnlessNamed(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	dir, err := outputDir("")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(dir, os.Getenv("TMPDIR")), "default %s is under TMPDIR", dir)

	named := filepath.Join(t.TempDir(), "a", "b")
	dir, err = outputDir(named)
	require.NoError(t, err)
	assert.Equal(t, named, dir)
	assert.DirExists(t, named)
}
