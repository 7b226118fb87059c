package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// machine describes where the figures were taken.
func machine() string {
	cpu := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if name, value, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(name) == "model name" {
				cpu = strings.TrimSpace(value)
				break
			}
		}
		f.Close()
	}
	kernel := "unknown kernel"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	load := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			load = strings.Join(f[:3], " ")
		}
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
		runtime.NumCPU(), cpu, kernel, runtime.Version(), load, psi)
}

// header is the line every report block starts with.
func header(command string, when time.Time) string {
	return fmt.Sprintf("`%s` on %s; machine: %s.", command, when.UTC().Format("2006-01-02 15:04 UTC"), machine())
}

func verdict(problems []string) string {
	if len(problems) == 0 {
		return "PASS"
	}
	return "FAIL: " + strings.Join(problems, "; ")
}

// scenarioMarkdown renders one scenario as a Markdown block.
func scenarioMarkdown(r result, command string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n%s.\n\n", r.Name, r.About)
	fmt.Fprintf(&b, "%s\n\n", header(command, r.Started))
	hwm := "VmHWM " + mib(r.PeakHWM)
	if !r.HWMReset {
		hwm += " (not reset: since the daemon started)"
	}
	fmt.Fprintf(&b, "| daemon | before | peak | after |\n|---|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| VmRSS MiB | %s | %s sampled, %s | %s |\n", mib(r.Before.Mem.RSS), mib(r.PeakRSS), hwm, mib(r.After.Mem.RSS))
	fmt.Fprintf(&b, "| RssAnon MiB (VmRSS without the mapped binary) | %s | %s sampled | %s |\n", mib(r.Before.Mem.Anon), mib(r.PeakAnon), mib(r.After.Mem.Anon))
	fmt.Fprintf(&b, "| sockets | %d | %d | %d |\n\n", r.Before.Sockets, r.PeakSockets, r.After.Sockets)
	fmt.Fprintf(&b, "- fresh client during the attack (GET /health every 250 ms): %s\n", r.Probe)
	fmt.Fprintf(&b, "- attack ran %s; sockets back at baseline %s later; \"after\" read %v after that\n",
		ms(r.Attack), ms(r.Settle), r.AfterPause)
	for _, l := range r.Outcome.Lines {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	fmt.Fprintf(&b, "- verdict: **%s**\n", verdict(r.Outcome.Problems))
	return b.String()
}

// summaryText renders the one-line-per-scenario table printed at the end.
func summaryText(rs []result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %10s %10s %10s %10s   %-20s %s\n", "scenario", "RSS before", "RSS peak", "VmHWM", "RSS after", "sockets b/p/a", "fresh client / verdict")
	for _, r := range rs {
		fmt.Fprintf(&b, "%-8s %10s %10s %10s %10s   %-20s %d/%d ok, max %s; %s\n", r.Name,
			mib(r.Before.Mem.RSS), mib(r.PeakRSS), mib(r.PeakHWM), mib(r.After.Mem.RSS),
			fmt.Sprintf("%d/%d/%d", r.Before.Sockets, r.PeakSockets, r.After.Sockets),
			r.Probe.OK, r.Probe.Total, ms(r.Probe.Max), verdict(r.Outcome.Problems))
	}
	return b.String()
}

// usersMarkdown renders the 10-million-user run.
func usersMarkdown(r usersResult, command string) string {
	var b strings.Builder
	o := r.Opts
	fmt.Fprintf(&b, "%s\n\n", header(command, r.Started))
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
	fmt.Fprintf(&b, "| VmRSS after the load | %s MiB (RssAnon %s MiB) |\n| VmHWM | %s MiB |\n", mib(r.Mem.RSS), mib(r.Mem.Anon), mib(r.Mem.HWM))
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
