package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// line is one rendered row, its figures resolved from a run.
type line struct {
	row
	continued         bool // a further baseline of the stage above
	ours, base        float64
	oursOK, baseOK    bool
	allocs, baseAlloc float64
	allocsOK, baseAOK bool
}

// verdict says whether a stage met its target: "yes", "NO (...)",
// "missing" when its benchmarks are absent, "" for a continuation row.
func (l *line) verdict() string {
	switch {
	case l.continued:
		return ""
	case !l.oursOK || !l.allocsOK:
		return "missing"
	case l.target > 0 && l.ours > l.target && l.allocs > 0:
		return fmt.Sprintf("NO (%s > %s ns, %s allocs)", formatNs(l.ours), formatCount(l.target), formatCount(l.allocs))
	case l.target > 0 && l.ours > l.target:
		return fmt.Sprintf("NO (%s > %s ns)", formatNs(l.ours), formatCount(l.target))
	case l.allocs > 0:
		return fmt.Sprintf("NO (%s allocs)", formatCount(l.allocs))
	}
	return "yes"
}

// timeUnit maps a row's unit to the one a table shows: wall time, or with
// cpu the process CPU time the benchmarks report beside it (cpu-ns/op,
// cpu-ns/req), which a shared machine's other load does not inflate.
func timeUnit(unit string, cpu bool) string {
	if cpu {
		return "cpu-" + unit
	}
	return unit
}

// resolve computes every line of rows from r, in wall or CPU time.
func resolve(r *run, rows []row, cpu bool) []line {
	lines := make([]line, 0, len(rows))
	var prev []term
	for _, rw := range rows {
		l := line{row: rw}
		ours := rw.ours
		if len(ours) == 0 {
			l.continued, ours = true, prev
		}
		prev = ours
		l.ours, l.oursOK = sum(r, timeTerms(ours, cpu), r.median)
		l.allocs, l.allocsOK = sum(r, allocTerms(ours), r.worst)
		l.base, l.baseOK = sum(r, timeTerms(rw.base, cpu), r.median)
		l.baseAlloc, l.baseAOK = sum(r, allocTerms(rw.base), r.worst)
		lines = append(lines, l)
	}
	return lines
}

// sum adds the figures of terms; false when any is missing (or no terms).
func sum(r *run, terms []term, figure func(bench, unit string) (float64, bool)) (float64, bool) {
	total := 0.0
	for _, t := range terms {
		v, ok := figure("Benchmark"+t.bench, t.unit)
		if !ok {
			return 0, false
		}
		total += v
	}
	return total, len(terms) > 0
}

// timeTerms maps terms to the time unit shown.
func timeTerms(terms []term, cpu bool) []term {
	out := make([]term, len(terms))
	for i, t := range terms {
		out[i] = term{t.bench, timeUnit(t.unit, cpu)}
	}
	return out
}

// allocTerms maps terms to the allocs/op of the same benchmarks.
func allocTerms(terms []term) []term {
	out := make([]term, len(terms))
	for i, t := range terms {
		out[i] = term{t.bench, "allocs/op"}
	}
	return out
}

// header returns the column names; unit is "ns" or "cpu-ns".
func header(unit string) []string {
	return []string{"stage", "ours " + unit + "/op", "allocs/op", "baseline", "baseline " + unit + "/op", "baseline allocs/op", "ratio (baseline/ours)", "projected ns", "target", "met"}
}

// render writes the table as Markdown, then its notes; it returns the
// number of stages that missed their target or lack figures. cpu says
// the lines hold CPU time (see timeUnit).
func render(w io.Writer, r *run, lines []line, cpu bool) (missed int) {
	header := header(timeUnit("ns", cpu))
	fmt.Fprintf(w, "| %s |\n", strings.Join(header, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(header)))
	for i := range lines {
		l := &lines[i]
		v := l.verdict()
		if v != "" && v != "yes" {
			missed++
		}
		cells := []string{
			l.stage,
			figure(l.ours, l.oursOK, formatNs),
			figure(l.allocs, l.allocsOK, formatCount),
			l.baseline,
			figure(l.base, l.baseOK, formatNs),
			figure(l.baseAlloc, l.baseAOK, formatCount),
			ratio(l),
			projected(l),
			target(l),
			v,
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	lo, hi := r.counts()
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s: median of %s runs per benchmark; allocs/op: the worst run; a sum row adds its parts' figures.\n", timeUnit("ns", cpu), countRange(lo, hi))
	if cpu {
		fmt.Fprintf(w, "cpu-ns: CPU time of the whole benchmark process (user + system, all threads) per op, not wall time.\n")
	}
	fmt.Fprintf(w, "Rows \"per request\" and the send and whole-path rows use the %s/req metric (per op divided by the requests per op).\n", timeUnit("ns", cpu))
	fmt.Fprintf(w, "Projection: parse %d, route %d, dispatch %d (decode + record), serialize %d, send %d, total %d (quoted; the parts sum to %d); whole path in memory = all parts but send = %d.\n",
		projParse, projRoute, projDispatch, projSerialize, projSend, projTotal, projParse+projRoute+projDispatch+projSerialize+projSend, projInMemory)
	fmt.Fprintf(w, "Targets: parse <= %d, route <= %d, decode <= %d, record known <= %d, dispatch <= %d (derived: decode + record), serialize <= %d, whole path <= %d ns; every stage 0 allocs/op.\n",
		targetParse, targetRoute, targetDecode, targetRecord, targetDispatch, targetSerialize, targetWholePath)
	for _, k := range []string{"goos", "goarch", "cpu", "pkg"} {
		if v, ok := r.context[k]; ok {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	if missed == 0 {
		fmt.Fprintln(w, "All targets met.")
	} else {
		fmt.Fprintf(w, "%d stage(s) missed their target or lack figures.\n", missed)
	}
	return missed
}

func figure(v float64, ok bool, format func(float64) string) string {
	if !ok {
		return "n/a"
	}
	return format(v)
}

func ratio(l *line) string {
	if !l.oursOK || !l.baseOK || l.ours <= 0 {
		return "n/a"
	}
	return strconv.FormatFloat(l.base/l.ours, 'f', 1, 64) + "x"
}

func projected(l *line) string {
	switch {
	case l.continued:
		return ""
	case l.projected > 0:
		return formatCount(l.projected)
	case l.projNote != "":
		return l.projNote
	}
	return "-"
}

func target(l *line) string {
	switch {
	case l.continued:
		return ""
	case l.target > 0:
		return "<= " + formatCount(l.target) + ", 0 allocs"
	}
	return "0 allocs"
}

// formatNs keeps three significant figures below 100 ns and whole ns above.
func formatNs(v float64) string {
	switch {
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func formatCount(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func countRange(lo, hi int) string {
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return strconv.Itoa(lo) + "-" + strconv.Itoa(hi)
}
