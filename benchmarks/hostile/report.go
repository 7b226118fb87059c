package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
)

// machine describes where the figures were taken.
func machine() string {
	kernel := "unknown kernel"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	// CPU pressure (PSI): the share of the last 60 s in which some task waited for a CPU.
	// On a shared machine it says how much the figures were disturbed by others.
	psi := ""
	if b, err := os.ReadFile("/proc/pressure/cpu"); err == nil {
		for _, f := range strings.Fields(string(b)) {
			if v, ok := strings.CutPrefix(f, "avg60="); ok {
				psi = ", CPU pressure some avg60 " + v + "%"
				break
			}
		}
	}
	return fmt.Sprintf("nproc %d, %s, Linux %s, %s; at the start: load average %s%s",
		runtime.NumCPU(), procstat.CPUModel(), kernel, runtime.Version(), procstat.LoadAverage(), psi)
}

// header is the line every report block starts with; mach is machine() as read when
// the run started.
func header(command string, when time.Time, mach string) string {
	return fmt.Sprintf("`%s` on %s; machine: %s.", command, when.UTC().Format("2006-01-02 15:04 UTC"), mach)
}

func verdict(problems []string) string {
	if len(problems) == 0 {
		return "PASS"
	}
	return "FAIL: " + strings.Join(problems, "; ")
}

// scenarioMarkdown renders one scenario's results, one column per server and round,
// as a Markdown block. servers says what each label ran.
func scenarioMarkdown(rs []result, servers []string, command string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n%s.\n\n", rs[0].Name, rs[0].About)
	fmt.Fprintf(&b, "%s\n\n", header(command, rs[0].Started, rs[0].Machine))
	for _, s := range servers {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	b.WriteString("\n")

	rounds := 0
	for _, r := range rs {
		rounds = max(rounds, r.Round)
	}
	b.WriteString("| |")
	for _, r := range rs {
		fmt.Fprintf(&b, " %s |", column(r, rounds))
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(rs)) + "\n")
	row := func(name string, cell func(r result) string) {
		fmt.Fprintf(&b, "| %s |", name)
		for _, r := range rs {
			fmt.Fprintf(&b, " %s |", cell(r))
		}
		b.WriteString("\n")
	}
	row("VmRSS MiB before / peak sampled / after", func(r result) string {
		return mib(r.Before.RSS) + " / " + mib(r.PeakRSS) + " / " + mib(r.After.RSS)
	})
	row("VmHWM MiB (peak of the attack)", func(r result) string {
		if !r.HWMReset {
			return mib(r.PeakHWM) + " (since start)"
		}
		return mib(r.PeakHWM)
	})
	row("RssAnon MiB before / peak sampled / after", func(r result) string {
		return mib(r.Before.Anon) + " / " + mib(r.PeakAnon) + " / " + mib(r.After.Anon)
	})
	row("sockets before / peak / after", func(r result) string {
		return fmt.Sprintf("%d / %d / %d", r.Before.Sockets, r.PeakSockets, r.After.Sockets)
	})
	row("CPU s (utime+stime, attack and settling)", func(r result) string {
		if r.CPUErr != nil {
			return "?"
		}
		return fmt.Sprintf("%.2f", r.CPU.Seconds())
	})
	if rs[0].Outcome.PerConn > 0 {
		row(fmt.Sprintf("CPU ms per connection (%d connections)", rs[0].Outcome.PerConn), func(r result) string {
			return fmt.Sprintf("%.1f", float64(r.cpuPerConn())/float64(time.Millisecond))
		})
	}
	for _, name := range figureNames(rs) {
		row(name, func(r result) string { return figureValue(r.Outcome, name) })
	}
	row("fresh client: answered, median, max", func(r result) string {
		return fmt.Sprintf("%d/%d, %s, %s", r.Probe.OK, r.Probe.Total, ms(r.Probe.Median), ms(r.Probe.Max))
	})
	row("TCP buffers of the whole machine, peak MiB", func(r result) string { return mib(r.PeakTCPMem * int64(os.Getpagesize())) })
	row("verdict", func(r result) string {
		if len(r.Outcome.Problems) == 0 {
			return "PASS"
		}
		return "**FAIL**"
	})
	if rs[0].Outcome.PerConn > 0 {
		if line := cpuRatioLine(rs); line != "" {
			fmt.Fprintf(&b, "\n%s\n", line)
		}
	}
	for _, r := range rs {
		fmt.Fprintf(&b, "\n**%s**\n\n", column(r, rounds))
		fmt.Fprintf(&b, "- fresh client during the attack (GET /health every 250 ms): %s\n", r.Probe)
		fmt.Fprintf(&b, "- attack ran %s; sockets back at baseline %s later; \"after\" read %v after that\n",
			ms(r.Attack), ms(r.Settle), r.AfterPause)
		for _, l := range r.Outcome.Lines {
			fmt.Fprintf(&b, "- %s\n", l)
		}
		fmt.Fprintf(&b, "- verdict: **%s**\n", verdict(r.Outcome.Problems))
	}
	return b.String()
}

// column names a result's column: the server, and the round when there are several.
func column(r result, rounds int) string {
	if rounds > 1 {
		return fmt.Sprintf("%s #%d", r.Target, r.Round)
	}
	return r.Target
}

// figureNames lists the figure names of rs in order of first appearance.
func figureNames(rs []result) []string {
	var names []string
	for _, r := range rs {
		for _, f := range r.Outcome.Figures {
			if !slices.Contains(names, f.Name) {
				names = append(names, f.Name)
			}
		}
	}
	return names
}

func figureValue(o outcome, name string) string {
	for _, f := range o.Figures {
		if f.Name == name {
			return f.Value
		}
	}
	return "-"
}

// medianCPUPerConn is, per server label in order of appearance, the median over its
// rounds of the CPU time per connection.
func medianCPUPerConn(rs []result) (labels []string, medians []time.Duration) {
	per := map[string][]time.Duration{}
	for _, r := range rs {
		if _, seen := per[r.Target]; !seen {
			labels = append(labels, r.Target)
		}
		per[r.Target] = append(per[r.Target], r.cpuPerConn())
	}
	for _, l := range labels {
		medians = append(medians, median(per[l]))
	}
	return labels, medians
}

// median of xs (the mean of the middle two for an even count); xs is sorted.
func median(xs []time.Duration) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// cpuRatioLine says each server's median CPU per connection and its ratio to nginx's.
func cpuRatioLine(rs []result) string {
	labels, medians := medianCPUPerConn(rs)
	var parts []string
	nginx := time.Duration(0)
	for i, l := range labels {
		parts = append(parts, fmt.Sprintf("%s %.1f ms", l, float64(medians[i])/float64(time.Millisecond)))
		if l == "nginx" {
			nginx = medians[i]
		}
	}
	rounds := 0
	for _, r := range rs {
		rounds = max(rounds, r.Round)
	}
	line := fmt.Sprintf("CPU per connection, median of %d round(s): %s", rounds, strings.Join(parts, ", "))
	if nginx > 0 {
		var ratios []string
		for i, l := range labels {
			if l != "nginx" {
				ratios = append(ratios, fmt.Sprintf("%s / nginx = %.2fx", l, float64(medians[i])/float64(nginx)))
			}
		}
		if len(ratios) > 0 {
			line += "; " + strings.Join(ratios, ", ")
		}
	}
	return line + "."
}

// summaryText renders the one-line-per-result table printed at the end.
func summaryText(rs []result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-15s %-14s %10s %10s %10s %10s   %-20s %8s  %s\n", "scenario", "server", "RSS before", "RSS peak", "VmHWM", "RSS after", "sockets b/p/a", "CPU s", "fresh client / verdict")
	for _, r := range rs {
		fmt.Fprintf(&b, "%-15s %-14s %10s %10s %10s %10s   %-20s %8.2f  %d/%d ok, max %s; %s\n", r.Name, column(r, 2),
			mib(r.Before.RSS), mib(r.PeakRSS), mib(r.PeakHWM), mib(r.After.RSS),
			fmt.Sprintf("%d/%d/%d", r.Before.Sockets, r.PeakSockets, r.After.Sockets), r.CPU.Seconds(),
			r.Probe.OK, r.Probe.Total, ms(r.Probe.Max), verdict(r.Outcome.Problems))
	}
	return b.String()
}

// usersMarkdown renders the 10-million-user run.
func usersMarkdown(r usersResult, command string) string {
	var b strings.Builder
	o := r.Opts
	fmt.Fprintf(&b, "%s\n\n", header(command, r.Started, r.Machine))
	fmt.Fprintf(&b, "- daemon: `%s`\n- load: `%s`\n", r.DaemonCmd, r.LoadCmd)
	if r.LoadNote != "" {
		fmt.Fprintf(&b, "- note: %s\n", r.LoadNote)
	}
	rate := 0.0
	if r.Load.Elapsed > 0 {
		rate = float64(r.Load.OK) / r.Load.Elapsed.Seconds()
	}
	fmt.Fprintf(&b, "- %d events from %d users: %d answered 200, %d failed, in %.1f s (%.0f req/s)",
		o.N, o.Users, r.Load.OK, r.Load.Failed, r.Load.Elapsed.Seconds(), rate)
	if r.Load.FirstErr != "" {
		fmt.Fprintf(&b, "; first error: %s", r.Load.FirstErr)
	}
	b.WriteString("\n")
	if r.RunnerPass != "" {
		fmt.Fprintf(&b, "- challenge runner verdict: %s\n", r.RunnerPass)
	}
	fmt.Fprintf(&b, "- /stats after the load: `%s` -> %s\n", strings.TrimSpace(r.Stats), verdict(r.StatsProblem))
	fmt.Fprintf(&b, "\n| measure | value |\n|---|---:|\n")
	if r.StatsErr != nil {
		fmt.Fprintf(&b, "| /stats latency | error after %d requests: %v |\n", len(r.StatsLat), r.StatsErr)
	}
	if len(r.StatsLat) > 0 {
		fmt.Fprintf(&b, "| /stats latency, %d sequential GETs on one keep-alive connection | median %s, max %s |\n",
			len(r.StatsLat), ms(r.StatsLat[len(r.StatsLat)/2]), ms(r.StatsLat[len(r.StatsLat)-1]))
	}
	fmt.Fprintf(&b, "| VmRSS after the load | %s MiB (RssAnon %s MiB) |\n| VmHWM | %s MiB |\n", mib(r.Mem.RSS), mib(r.Mem.Anon), mib(r.Mem.PeakRSS))
	g := r.GC
	fmt.Fprintf(&b, "| GC cycles | %d |\n", g.Cycles)
	if g.Cycles > 0 {
		fmt.Fprintf(&b, "| longest STW of a cycle (sweep termination + mark termination, wall clock) | %s (gc %d) |\n", us(g.MaxSTW.STW()), g.MaxSTW.N)
		fmt.Fprintf(&b, "| max sweep-termination STW / max mark-termination STW | %s / %s |\n", us(g.MaxSweepTerm), us(g.MaxMarkTerm))
		fmt.Fprintf(&b, "| longest concurrent mark (not a pause) | %s |\n", us(g.MaxMark))
	}
	switch {
	case r.ForcedErr != nil:
		fmt.Fprintf(&b, "| full GC forced after the load | failed: %v |\n", r.ForcedErr)
	case r.ForcedGC != nil:
		f := r.ForcedGC
		fmt.Fprintf(&b, "| full GC forced after the load (every user live): STW / concurrent mark / live heap | %s / %s / %d MB |\n", us(f.STW()), us(f.Mark), f.HeapLive)
		fmt.Fprintf(&b, "| VmRSS / RssAnon after that GC | %s / %s MiB |\n", mib(r.ForcedMem.RSS), mib(r.ForcedMem.Anon))
	}
	if g.Cycles > 0 {
		fmt.Fprintf(&b, "\nLast %d gctrace lines (the forced one last):\n\n```\n", len(g.Last))
		for _, l := range g.Last {
			fmt.Fprintln(&b, l.Text)
		}
		b.WriteString("```\n")
	}
	fmt.Fprintf(&b, "\nDaemon stop: %s.\n", r.DaemonStop)
	return b.String()
}

// updateReadme replaces the block named name in the Markdown file at path (the
// text between "<!-- BEGIN name -->" and "<!-- END name -->") with body, appending
// the block if it is not there yet. Text outside the blocks is kept as written.
func updateReadme(path, name, body string) error {
	begin, end := "<!-- BEGIN "+name+" -->", "<!-- END "+name+" -->"
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	if text == "" {
		text = "# Hostile clients: onemrcd's memory under abuse\n"
	}
	block := begin + "\n" + strings.TrimRight(body, "\n") + "\n" + end
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i >= 0 && j > i {
		text = text[:i] + block + text[j+len(end):]
	} else {
		text = strings.TrimRight(text, "\n") + "\n\n" + block + "\n"
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

// mib formats bytes as MiB with one decimal.
func mib(b int64) string {
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64)
}
