package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// number is a float64 that encodes to JSON as null when NaN or infinite
// (a median of no rounds, a ratio to a missing baseline): encoding/json
// refuses those values outright.
type number float64

// MarshalJSON implements json.Marshaler.
func (n number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// baselinePeer is the peer every ratio divides by.
const baselinePeer = "onemrc"

// summaryRow is one (mode, peer) over all rounds: medians, error totals and
// how many rounds' /stats checks passed.
type summaryRow struct {
	Mode   string `json:"mode"`
	Peer   string `json:"peer"`
	Rounds int    `json:"rounds"` // rounds measured (failed cells excluded)
	Failed int    `json:"failedRounds"`

	ReqPerSec       number `json:"reqPerSec"`
	CPUMicrosPerReq number `json:"serverCpuUsPerRequest"`
	PeakRSSMiB      number `json:"peakRssMiB"`
	CPUShare        number `json:"serverCpuShare"`
	ClientCPUShare  number `json:"clientCpuShare"`
	OtherLoadShare  number `json:"otherLoadOnServerCore"`
	P99Millis       number `json:"p99Ms"`
	Errors          int64  `json:"errors"` // summed over rounds
	// Timeouts is the part of Errors that wrk counts as "timeout": round
	// trips slower than its 2 s --timeout, which still completed.
	Timeouts int64 `json:"timeouts"`

	HasStats   bool `json:"hasStats"`
	Exact      int  `json:"statsExact"`
	Consistent int  `json:"statsConsistent"`
	StatsFail  int  `json:"statsFail"`

	// Ratios are this peer's median over onemrc's median in the same mode
	// (NaN when either is missing): above 1 means more req/s, or more CPU
	// per request, than onemrc.
	ReqPerSecRatio number `json:"reqPerSecVsOnemrc"`
	CPURatio       number `json:"cpuVsOnemrc"`
}

// median of xs (the mean of the middle two for an even count); NaN if empty.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

// ratio is num/den, NaN when den is zero or either is NaN.
func ratio(num, den float64) float64 {
	if den == 0 || math.IsNaN(num) || math.IsNaN(den) {
		return math.NaN()
	}
	return num / den
}

// summarize folds cells into one row per (mode, peer), in the given orders.
func summarize(cells []cell, modes []mode, peers []peer) []summaryRow {
	var rows []summaryRow
	for _, m := range modes {
		first := len(rows)
		for _, p := range peers {
			row := summaryRow{Mode: m.Name, Peer: p.Name, HasStats: p.HasStats}
			var rps, cpu, rss, share, client, other, p99 []float64
			for _, c := range cells {
				if c.Mode != m.Name || c.Peer != p.Name {
					continue
				}
				if c.Failure != "" {
					row.Failed++
					row.StatsFail++
					continue
				}
				row.Rounds++
				rps = append(rps, c.ReqPerSec)
				cpu = append(cpu, c.CPUMicrosPerReq)
				rss = append(rss, float64(c.PeakRSSKiB)/1024)
				share = append(share, c.CPUShare)
				client = append(client, c.ClientCPUShare)
				other = append(other, c.OtherLoadShare)
				// wrk 4.1 reports a percentile as 0 when its coordinated-
				// omission correction put samples below the minimum it
				// iterates from (fast pipelined runs): no figure, not 0.
				if c.LatencyUS.P99 > 0 {
					p99 = append(p99, c.LatencyUS.P99/1000)
				}
				row.Errors += c.Errors
				row.Timeouts += c.WrkErrors.Timeout
				switch c.Check.Verdict {
				case verdictExact:
					row.Exact++
				case verdictConsistent:
					row.Consistent++
				case verdictFail:
					row.StatsFail++
				}
			}
			row.ReqPerSec, row.CPUMicrosPerReq, row.PeakRSSMiB = number(median(rps)), number(median(cpu)), number(median(rss))
			row.CPUShare, row.ClientCPUShare, row.P99Millis = number(median(share)), number(median(client)), number(median(p99))
			row.OtherLoadShare = number(median(other))
			rows = append(rows, row)
		}
		base := findRow(rows[first:], m.Name, baselinePeer)
		for i := first; i < len(rows); i++ {
			row := &rows[i]
			row.ReqPerSecRatio, row.CPURatio = number(math.NaN()), number(math.NaN())
			if base != nil {
				row.ReqPerSecRatio = number(ratio(float64(row.ReqPerSec), float64(base.ReqPerSec)))
				row.CPURatio = number(ratio(float64(row.CPUMicrosPerReq), float64(base.CPUMicrosPerReq)))
			}
		}
	}
	return rows
}

func findRow(rows []summaryRow, modeName, peerName string) *summaryRow {
	for i := range rows {
		if rows[i].Mode == modeName && rows[i].Peer == peerName {
			return &rows[i]
		}
	}
	return nil
}

// statsText is the "stats" column: rounds whose /stats passed the check.
func (r summaryRow) statsText() string {
	if !r.HasStats {
		return verdictNone
	}
	total := r.Exact + r.Consistent + r.StatsFail
	ok := r.Exact + r.Consistent
	if r.StatsFail > 0 {
		return fmt.Sprintf("FAIL %d/%d", r.StatsFail, total)
	}
	return fmt.Sprintf("ok %d/%d (%d exact)", ok, total, r.Exact)
}

// target is one goal from the task, evaluated on the medians of one run.
type target struct {
	Name     string  `json:"name"`
	Mode     string  `json:"mode"`
	Measured number  `json:"measured"`
	Limit    float64 `json:"limit"`
	AtMost   bool    `json:"atMost"` // true: measured <= limit passes
	Met      bool    `json:"met"`
	Missing  bool    `json:"missing"` // a peer or mode was not run
}

// evaluateTargets computes onemrc's CPU per request against nginx (<= 1.0x)
// and fasthttp (<= 0.6x) in each non-pipelined mode, and its pipelined req/s
// against fasthttp (>= 2x).
func evaluateTargets(rows []summaryRow, modes []mode) []target {
	var out []target
	add := func(name, modeName string, measured, limit float64, atMost bool) {
		t := target{Name: name, Mode: modeName, Measured: number(measured), Limit: limit, AtMost: atMost}
		t.Missing = math.IsNaN(measured)
		if !t.Missing {
			t.Met = measured <= limit
			if !atMost {
				t.Met = measured >= limit
			}
		}
		out = append(out, t)
	}
	for _, m := range modes {
		me := findRow(rows, m.Name, baselinePeer)
		get := func(peerName string, f func(summaryRow) number) float64 {
			other := findRow(rows, m.Name, peerName)
			if me == nil || other == nil {
				return math.NaN()
			}
			return ratio(float64(f(*me)), float64(f(*other)))
		}
		cpu := func(r summaryRow) number { return r.CPUMicrosPerReq }
		rps := func(r summaryRow) number { return r.ReqPerSec }
		if m.Depth == 1 {
			add("onemrc CPU/req vs nginx", m.Name, get("nginx", cpu), 1.0, true)
			add("onemrc CPU/req vs fasthttp", m.Name, get("fasthttp", cpu), 0.6, true)
		} else {
			add("onemrc req/s vs fasthttp", m.Name, get("fasthttp", rps), 2.0, false)
		}
	}
	return out
}
