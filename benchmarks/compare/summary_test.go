package main

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMedian(t *testing.T) {
	cases := []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{7}, 7},
		{"odd, unsorted", []float64{9, 1, 5}, 5},
		{"even takes the middle mean", []float64{4, 1, 3, 2}, 2.5},
		{"duplicates", []float64{2, 2, 9}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]float64(nil), tc.in...)
			assert.InDelta(t, tc.want, median(tc.in), 0)
			assert.Equal(t, in, tc.in, "median must not reorder its input")
		})
	}
	assert.True(t, math.IsNaN(median(nil)))
}

func TestRatio(t *testing.T) {
	assert.InDelta(t, 2.5, ratio(5, 2), 1e-12)
	assert.True(t, math.IsNaN(ratio(5, 0)))
	assert.True(t, math.IsNaN(ratio(math.NaN(), 2)))
	assert.True(t, math.IsNaN(ratio(2, math.NaN())))
}

func TestNumberMarshalsNaNAsNull(t *testing.T) {
	b, err := json.Marshal([]number{1.5, number(math.NaN()), number(math.Inf(1)), 2})
	require.NoError(t, err)
	assert.JSONEq(t, `[1.5, null, null, 2]`, string(b))
}

// fakeCells gives onemrc 10 µs/req and 100k req/s, nginx 12 and 80k,
// fasthttp 20 and 50k, over three rounds with one outlier each.
func fakeCells() ([]cell, []mode, []peer) {
	modes := []mode{allModes[0], allModes[2]}
	peers, _ := selectPeers([]string{"onemrc", "fasthttp", "nginx"})
	figures := map[string][3][2]float64{ // per round: µs/req, req/s
		"onemrc":   {{10, 100000}, {11, 90000}, {30, 20000}},
		"fasthttp": {{20, 50000}, {19, 52000}, {25, 10000}},
		"nginx":    {{12, 80000}, {12, 81000}, {40, 5000}},
	}
	var cells []cell
	for _, m := range modes {
		for round := range 3 {
			for _, p := range peers {
				f := figures[p.Name][round]
				c := cell{Mode: m.Name, Peer: p.Name, Round: round + 1, CPUMicrosPerReq: f[0], ReqPerSec: f[1],
					PeakRSSKiB: 2048, Errors: 1, Check: statsCheck{Verdict: verdictExact}}
				if !p.HasStats {
					c.Check.Verdict = verdictNone
				}
				cells = append(cells, c)
			}
		}
	}
	return cells, modes, peers
}

func TestSummarizeAndTargets(t *testing.T) {
	cells, modes, peers := fakeCells()
	rows := summarize(cells, modes, peers)
	require.Len(t, rows, 6)

	me := findRow(rows, "c1000", "onemrc")
	require.NotNil(t, me)
	assert.InDelta(t, 11, float64(me.CPUMicrosPerReq), 1e-12)
	assert.InDelta(t, 90000, float64(me.ReqPerSec), 1e-9)
	assert.InDelta(t, 2, float64(me.PeakRSSMiB), 1e-12)
	assert.Equal(t, int64(3), me.Errors)
	assert.Equal(t, "ok 3/3 (3 exact)", me.statsText())
	assert.InDelta(t, 1, float64(me.CPURatio), 1e-12)

	ng := findRow(rows, "c1000", "nginx")
	require.NotNil(t, ng)
	assert.InDelta(t, 12.0/11, float64(ng.CPURatio), 1e-12)
	assert.InDelta(t, 80000.0/90000, float64(ng.ReqPerSecRatio), 1e-12)
	assert.Equal(t, "n/a", ng.statsText())

	targets := evaluateTargets(rows, modes)
	require.Len(t, targets, 3)
	assert.Equal(t, "c1000", targets[0].Mode)
	assert.InDelta(t, 11.0/12, float64(targets[0].Measured), 1e-12) // vs nginx
	assert.True(t, targets[0].Met)
	assert.InDelta(t, 11.0/20, float64(targets[1].Measured), 1e-12) // vs fasthttp <= 0.6
	assert.True(t, targets[1].Met)
	assert.InDelta(t, 90000.0/50000, float64(targets[2].Measured), 1e-12) // pipe16 >= 2
	assert.False(t, targets[2].Met)
}

func TestSummarizeCountsFailures(t *testing.T) {
	cells, modes, peers := fakeCells()
	cells[0].Failure = "server did not start"
	cells[1].Check = statsCheck{Verdict: verdictFail, Problems: []string{"lost"}}
	rows := summarize(cells, modes, peers)
	me := findRow(rows, "c1000", "onemrc")
	require.NotNil(t, me)
	assert.Equal(t, 2, me.Rounds)
	assert.Equal(t, 1, me.Failed)
	assert.Equal(t, "FAIL 1/3", me.statsText())
	fh := findRow(rows, "c1000", "fasthttp")
	assert.Equal(t, "FAIL 1/3", fh.statsText())

	for i := range cells {
		if cells[i].Mode == "pipe16" && cells[i].Peer == "nginx" {
			cells[i].LatencyUS.P99 = 0 // wrk's broken percentile
		}
		if cells[i].Mode == "pipe16" && cells[i].Peer == "fasthttp" {
			cells[i].LatencyUS.P99 = float64(1000 * cells[i].Round)
		}
	}
	rows = summarize(cells, modes, peers)
	assert.True(t, math.IsNaN(float64(findRow(rows, "pipe16", "nginx").P99Millis)))
	assert.InDelta(t, 2, float64(findRow(rows, "pipe16", "fasthttp").P99Millis), 1e-12)

	noBaseline := summarize(cells, modes, peers[1:])
	assert.True(t, math.IsNaN(float64(noBaseline[0].CPURatio)))
	targets := evaluateTargets(noBaseline, modes)
	assert.True(t, targets[0].Missing)
	assert.False(t, targets[0].Met)
}
