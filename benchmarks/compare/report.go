package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/onemrc/onemrc/benchmarks/internal/thousands"
)

// results is everything a run produced: results.json holds it whole.
type results struct {
	Command  string       `json:"command"`
	Machine  machine      `json:"machine"`
	Rounds   int          `json:"rounds"`
	Duration string       `json:"duration"`
	Nice     int          `json:"nice"` // nice level of server and wrk
	Modes    []mode       `json:"modes"`
	Peers    []string     `json:"peers"`
	Cells    []cell       `json:"cells"`
	Summary  []summaryRow `json:"summary"`
	Targets  []target     `json:"targets"`
}

func writeJSON(w io.Writer, r results) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// fmtNum formats a figure with the given decimals, "-" when missing.
func fmtNum(v number, decimals int) string {
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
		return "-"
	}
	return fmt.Sprintf("%.*f", decimals, float64(v))
}

// fmtRate formats req/s with thousands separators.
func fmtRate(v number) string {
	if math.IsNaN(float64(v)) {
		return "-"
	}
	return thousands.Group(fmt.Sprintf("%.0f", float64(v)))
}

func fmtRatio(v number) string {
	if math.IsNaN(float64(v)) {
		return "-"
	}
	return fmt.Sprintf("%.2fx", float64(v))
}

// writeTable writes the Markdown table of medians.
func writeTable(w io.Writer, rows []summaryRow) {
	fmt.Fprintln(w, "| mode | peer | req/s | req/s vs onemrc | server CPU µs/req | CPU vs onemrc | peak RSS MiB | errors | stats | server CPU | wrk CPU | other load on server core | p99 ms |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|")
	for _, r := range rows {
		errs := fmt.Sprint(r.Errors)
		if r.Timeouts > 0 {
			errs += fmt.Sprintf(" (%d slow)", r.Timeouts)
		}
		if r.Failed > 0 {
			errs += fmt.Sprintf(" (%d rounds failed)", r.Failed)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Mode, r.Peer, fmtRate(r.ReqPerSec), fmtRatio(r.ReqPerSecRatio),
			fmtNum(r.CPUMicrosPerReq, 2), fmtRatio(r.CPURatio), fmtNum(r.PeakRSSMiB, 1),
			errs, r.statsText(), fmtPercent(r.CPUShare), fmtPercent(r.ClientCPUShare),
			fmtPercent(r.OtherLoadShare), fmtNum(r.P99Millis, 2))
	}
}

func fmtPercent(v number) string {
	if math.IsNaN(float64(v)) {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(v))
}

// writeTargets writes the goals and whether this run met them.
func writeTargets(w io.Writer, targets []target) {
	fmt.Fprintln(w, "| target | mode | measured | goal | result |")
	fmt.Fprintln(w, "|---|---|--:|--:|---|")
	for _, t := range targets {
		goal := fmt.Sprintf(">= %.1fx", t.Limit)
		if t.AtMost {
			goal = fmt.Sprintf("<= %.1fx", t.Limit)
		}
		result := "met"
		switch {
		case t.Missing:
			result = "not run"
		case !t.Met:
			result = "MISSED"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", t.Name, t.Mode, fmtRatio(t.Measured), goal, result)
	}
}

// writeMarkdown writes results.md.
func writeMarkdown(w io.Writer, r results) {
	fmt.Fprintln(w, "# onemrc beside its peers")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Command: `%s`\n\n", r.Command)
	m := r.Machine
	fmt.Fprintf(w, "Machine: %s cores, %s, kernel %s, %s, %s", m.Cores, m.CPUModel, m.Kernel, m.GoVersion, m.Wrk)
	if m.Nginx != "" {
		fmt.Fprintf(w, ", %s", m.Nginx)
	}
	fmt.Fprintf(w, "; %s UTC. Load average (1/5/15 min) %s at the start, %s at the end.\n\n",
		strings.TrimSuffix(strings.Replace(m.Date, "T", " ", 1), "Z"), m.LoadBefore, m.LoadAfter)
	fmt.Fprintf(w, "Each cell: the server pinned to CPU 0 (`taskset -c 0`; onemrc with `-loops 1`), "+
		"`wrk -t1` pinned to CPU 1, both at nice %d; %d rounds of %s per mode, each round running every peer "+
		"in the order of the table; medians over rounds (errors summed). Modes: ", r.Nice, r.Rounds, r.Duration)
	for i, md := range r.Modes {
		if i > 0 {
			fmt.Fprint(w, "; ")
		}
		fmt.Fprintf(w, "%s = %d connections, depth %d (`%s`)", md.Name, md.Conns, md.Depth, md.Script)
	}
	fmt.Fprintln(w, ".")
	fmt.Fprintln(w)
	writeTable(w, r.Summary)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Ratios are the peer's median over onemrc's in the same mode. "+
		"Server CPU µs/req = (utime+stime of the server process over the wrk run, "+
		"from /proc/PID/stat) / requests wrk completed. "+
		"stats: rounds whose /stats agreed with what wrk sent (see the harness README for the bounds); "+
		"\"exact\": the server counted every request wrk generated, none was left in flight.")
	if bound := clientBound(r.Summary); len(bound) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "wrk used %.0f%% or more of its core while the server used less in %s: there req/s is the "+
			"client's limit, not the server's, and a server that is not saturated handles fewer requests per wakeup, "+
			"so its CPU per request reads higher than at full load.\n",
			100*clientBoundShare, strings.Join(bound, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Targets")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Measured = onemrc's median over the peer's median, from this one run.")
	fmt.Fprintln(w)
	writeTargets(w, r.Targets)
	if failures := failedCells(r.Cells); len(failures) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "## Failed cells and checks")
		fmt.Fprintln(w)
		for _, f := range failures {
			fmt.Fprintf(w, "- %s\n", f)
		}
	}
}

// failedCells lists cells that did not run or whose /stats check failed.
func failedCells(cells []cell) []string {
	var out []string
	for _, c := range cells {
		switch {
		case c.Failure != "":
			out = append(out, fmt.Sprintf("%s %s round %d: %s", c.Mode, c.Peer, c.Round, firstLine(c.Failure)))
		case c.Check.Verdict == verdictFail:
			out = append(out, fmt.Sprintf("%s %s round %d: %s", c.Mode, c.Peer, c.Round, c.Check))
		}
	}
	return out
}

// clientBoundShare is the wrk CPU share above which a cell's req/s is taken
// to be limited by the client.
const clientBoundShare = 0.95

// clientBound names the rows whose median wrk CPU reached clientBoundShare
// while the server's stayed below it.
func clientBound(rows []summaryRow) []string {
	var out []string
	for _, r := range rows {
		if float64(r.ClientCPUShare) >= clientBoundShare && float64(r.CPUShare) < clientBoundShare {
			out = append(out, r.Mode+" "+r.Peer)
		}
	}
	return out
}
