package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bytedance/sonic"

	"github.com/onemrc/onemrc/benchmarks/internal/hist"
	"github.com/onemrc/onemrc/benchmarks/internal/loadgen"
	"github.com/onemrc/onemrc/benchmarks/internal/thousands"
)

// report is everything a run found; the table and the -json file are two
// renderings of it.
type report struct {
	Started       time.Time     `json:"started"`
	Options       optionsReport `json:"options"`
	Target        string        `json:"target"`
	StartedDaemon bool          `json:"startedDaemon"`
	DaemonPID     int           `json:"daemonPid,omitempty"`
	DaemonLog     string        `json:"daemonLog,omitempty"`
	DaemonStop    string        `json:"daemonStop,omitempty"`
	Load          *loadReport   `json:"load,omitempty"`
	Server        *usageReport  `json:"server,omitempty"`
	Probe         *probeReport  `json:"probe,omitempty"`
	Client        *usageReport  `json:"client,omitempty"`
	StatsBefore   string        `json:"statsBefore,omitempty"`
	StatsAfter    string        `json:"statsAfter,omitempty"`
	Checks        []check       `json:"checks,omitempty"`
	Notes         []string      `json:"notes,omitempty"`
	Failures      []string      `json:"failures,omitempty"`
	Pass          bool          `json:"pass"`
	LogFile       string        `json:"logFile,omitempty"`
}

type optionsReport struct {
	N        int    `json:"n"`
	Conns    int    `json:"c"`
	Users    int    `json:"users"`
	RPS      int    `json:"rps"`
	Pipeline int    `json:"pipeline"`
	Batch    int    `json:"batch"`
	Half     bool   `json:"half"`
	Addr     string `json:"addr,omitempty"`
	Timeout  string `json:"timeout"`
	Loops    int    `json:"loops"`
	PID      int    `json:"pid,omitempty"`
}

type loadReport struct {
	Seconds    float64        `json:"seconds"`
	ConnectSec float64        `json:"connectSeconds"`
	Conns      int            `json:"connections"`
	ReqPerSec  float64        `json:"reqPerSec"`
	EventsPerS float64        `json:"eventsPerSec"`
	Requests   uint64         `json:"requests"`
	Sent       uint64         `json:"sent"`
	OK         uint64         `json:"ok"`
	Errors     uint64         `json:"errors"`
	Non200     uint64         `json:"non200"`
	ConnErrors uint64         `json:"connErrors"`
	Lost       uint64         `json:"lost"`
	Unsent     uint64         `json:"unsent"`
	LatencyNs  latencyReport  `json:"latencyNs"`
	Expected   expectedReport `json:"expected"`
}

type latencyReport struct {
	P50  int64   `json:"p50"`
	P90  int64   `json:"p90"`
	P99  int64   `json:"p99"`
	P999 int64   `json:"p99.9"`
	Max  int64   `json:"max"`
	Mean float64 `json:"mean"`
}

type expectedReport struct {
	Requests uint64  `json:"totalRequests"`
	Users    uint64  `json:"uniqueUsers"`
	Sum      string  `json:"sum"`
	Avg      float64 `json:"avg"`
}

// usageReport is one process's cost over the load phase.
type usageReport struct {
	PID               int     `json:"pid"`
	CPUSeconds        float64 `json:"cpuSeconds"`
	CPUSecondsPer1000 float64 `json:"cpuSecondsPer1000Events"`
	NsPerEvent        float64 `json:"cpuNsPerEvent"`
	PeakRSSBytes      int64   `json:"peakRssBytes"`
}

func newReport(o options) *report {
	return &report{
		Started: time.Now(),
		Options: optionsReport{
			N: o.N, Conns: o.Conns, Users: o.Users, RPS: o.RPS, Pipeline: o.Pipeline, Batch: o.Batch,
			Half: o.Half, Addr: o.Addr, Timeout: o.Timeout.String(), Loops: o.Loops, PID: o.PID,
		},
	}
}

func (r *report) fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

func (r *report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

func (r *report) setLoad(res loadgen.Result, want loadgen.Figures) {
	lat := res.Latency
	if lat == nil {
		lat = hist.New(loadgen.LatencyHighest)
	}
	l := &loadReport{
		Seconds: res.Elapsed.Seconds(), ConnectSec: res.ConnectTime.Seconds(), Conns: res.Conns,
		Sent: res.Sent, OK: res.OK, Errors: res.Errors(), Non200: res.Non200,
		ConnErrors: res.ConnErrors, Lost: res.Lost, Unsent: res.Unsent, Requests: res.Requests,
		LatencyNs: latencyReport{
			P50: lat.Percentile(50), P90: lat.Percentile(90), P99: lat.Percentile(99),
			P999: lat.Percentile(99.9), Max: lat.Max(), Mean: lat.Mean(),
		},
		Expected: expectedReport{
			Requests: want.Requests, Users: want.Users, Sum: ratText(want.Sum()), Avg: want.Avg(),
		},
	}
	if res.Elapsed > 0 {
		l.EventsPerS = float64(res.OK+res.Non200) / res.Elapsed.Seconds()
		l.ReqPerSec = float64(res.Requests) / res.Elapsed.Seconds()
	}
	r.Load = l
}

// header is the run's first lines: what it is about to do.
func (r *report) header() string {
	o := r.Options
	rps := "unlimited"
	if o.RPS > 0 {
		rps = thousands.Uint(uint64(o.RPS)) + "/s"
	}
	return fmt.Sprintf("onemrc challenge  %s\n  -n %d -c %d -users %d -pipeline %d -batch %d -half=%v -rps %s -timeout %s\n",
		r.Started.Format(time.RFC3339), o.N, o.Conns, o.Users, o.Pipeline, o.Batch, o.Half, rps, o.Timeout)
}

// table renders the result for people.
func (r *report) table() string {
	var b strings.Builder
	row := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "  %-26s %s\n", name, fmt.Sprintf(format, args...))
	}
	target := r.Target
	if r.StartedDaemon {
		target += fmt.Sprintf("  (started ./server, pid %d)", r.DaemonPID)
	}
	row("target", "%s", target)
	if l := r.Load; l != nil {
		row("total time", "%.3f s  (after %.3f s opening %s connections)", l.Seconds, l.ConnectSec, thousands.Uint(uint64(l.Conns)))
		if r.Options.Batch > 0 {
			row("throughput", "%s events/s  (%s batch requests/s)", thousands.Uint(uint64(l.EventsPerS)), thousands.Uint(uint64(l.ReqPerSec)))
			row("events", "%s sent in %s requests, %s accepted", thousands.Uint(l.Sent), thousands.Uint(l.Requests), thousands.Uint(l.OK))
		} else {
			row("throughput", "%s req/s", thousands.Uint(uint64(l.ReqPerSec)))
			row("requests", "%s sent, %s answered 200", thousands.Uint(l.Sent), thousands.Uint(l.OK))
		}
		row("errors", "%s  (non-200 %s, connection %s, unanswered %s, unsent %s)",
			thousands.Uint(l.Errors), thousands.Uint(l.Non200), thousands.Uint(l.ConnErrors), thousands.Uint(l.Lost), thousands.Uint(l.Unsent))
		lat := l.LatencyNs
		row("latency", "p50 %s  p90 %s  p99 %s  p99.9 %s  max %s",
			ms(lat.P50), ms(lat.P90), ms(lat.P99), ms(lat.P999), ms(lat.Max))
	}
	usage := func(name string, u *usageReport) {
		if u == nil {
			row(name, "not measured (needs the daemon it starts, or -pid)")
			return
		}
		row(name+" CPU", "%s  (%.2f s in all)", perEvent(u, r.Options.Batch), u.CPUSeconds)
		row(name+" peak RSS", "%.1f MiB", float64(u.PeakRSSBytes)/(1<<20))
	}
	if r.Probe != nil {
		row("serial probe", "%s", r.Probe)
	}
	usage("server", r.Server)
	if r.Client != nil {
		row("client CPU", "%s  (%.2f s in all)", perEvent(r.Client, r.Options.Batch), r.Client.CPUSeconds)
	}
	if r.StatsBefore != "" {
		row("/stats before", "%s", r.StatsBefore)
	}
	if r.StatsAfter != "" {
		row("/stats after", "%s", r.StatsAfter)
	}
	for _, c := range r.Checks {
		verdict := "ok"
		if !c.OK {
			verdict = "MISMATCH"
		}
		line := fmt.Sprintf("want %s, got %s  %s", c.Want, c.Got, verdict)
		if c.Note != "" {
			line += "  (" + c.Note + ")"
		}
		row("check "+c.Name, "%s", line)
	}
	if r.DaemonStop != "" {
		row("daemon", "%s", r.DaemonStop)
	}
	if r.DaemonLog != "" {
		row("daemon log", "%s", r.DaemonLog)
	}
	for _, n := range r.Notes {
		row("note", "%s", n)
	}
	b.WriteString(r.verdict())
	b.WriteByte('\n')
	return b.String()
}

// verdict is the final line: PASS or FAIL with the reasons.
func (r *report) verdict() string {
	if r.Pass {
		return "PASS"
	}
	return "FAIL: " + strings.Join(r.Failures, "; ")
}

// ms writes nanoseconds as milliseconds with three significant decimals.
func ms(ns int64) string {
	return fmt.Sprintf("%.3f ms", float64(ns)/1e6)
}

// writeJSON writes the report to path.
func (r *report) writeJSON(path string) error {
	data, err := sonic.ConfigStd.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// defaultLogDir is where runs keep their logs unless -log-dir says otherwise:
// one folder under the system's temp directory, outside the repository.
func defaultLogDir() string { return filepath.Join(os.TempDir(), "onemrc-logs") }

// logPaths returns the run's log file and the daemon's output file in dir,
// named after the start time.
func logPaths(dir string, started time.Time) (runLog, daemonLog string) {
	stamp := started.Format("20060102-150405")
	return filepath.Join(dir, "challenge-"+stamp+".log"), filepath.Join(dir, "challenge-"+stamp+".daemon.log")
}

// writeLog stores the header, the table and the verdict of the run.
func writeLog(path, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

// perEvent is a process's CPU per event: per request in the 1MRC form (one event each),
// per event in nanoseconds for batches.
func perEvent(u *usageReport, batch int) string {
	if batch > 0 {
		return fmt.Sprintf("%.0f ns per event", u.NsPerEvent)
	}
	return fmt.Sprintf("%.4f s per 1,000 requests", u.CPUSecondsPer1000)
}
