package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/thousands"
)

// report is everything a run found; the table and -json are two renderings of it.
type report struct {
	Started  time.Time     `json:"started"`
	Options  optionsReport `json:"options"`
	Modes    []*modeReport `json:"modes"`
	Failures []string      `json:"failures,omitempty"`
	Kept     string        `json:"kept,omitempty"` // data directories and logs left for inspection
	Pass     bool          `json:"pass"`
}

type optionsReport struct {
	Conns    int      `json:"c"`
	Kills    int      `json:"kills"`
	Modes    []string `json:"modes"`
	MinDelay string   `json:"minDelay"`
	MaxDelay string   `json:"maxDelay"`
	Loops    int      `json:"loops"`
	Seed     int64    `json:"seed"`
	Signal   string   `json:"signal"`
}

// modeReport is one -fsync mode: one data directory, -kills crashes.
type modeReport struct {
	Mode         string       `json:"mode"`
	Args         string       `json:"args"`                   // the daemon's flags as run
	FsyncDropped bool         `json:"fsyncDropped,omitempty"` // the daemon rejected -fsync and ran without it
	DataDir      string       `json:"dataDir"`
	DaemonLog    string       `json:"daemonLog"`
	Kills        []killReport `json:"kills"`

	Acked         uint64   `json:"acked"`         // acknowledged over every round
	Sent          uint64   `json:"sent"`          // written over every round
	Restored      uint64   `json:"restored"`      // totalRequests after the last restart
	Lost          uint64   `json:"lost"`          // acknowledged but missing after a restart (must be 0)
	InFlightKept  uint64   `json:"inFlightKept"`  // sent, not acknowledged, restored (allowed)
	MaxRestartMS  float64  `json:"maxRestartMs"`  // exec to /health 200, worst restart
	MaxBindWaitMS float64  `json:"maxBindWaitMs"` // first exec to the exec that bound, worst restart
	SlowRestarts  int      `json:"slowRestarts"`  // restarts slower than 1 s
	Failures      []string `json:"failures,omitempty"`
	Pass          bool     `json:"pass"`
}

// killReport is one crash and restart.
type killReport struct {
	Kill         int     `json:"kill"`
	LoadMS       float64 `json:"loadMs"`   // load before the SIGKILL
	NoticeMS     float64 `json:"noticeMs"` // from SIGKILL until every connection had failed
	RestartMS    float64 `json:"restartMs"`
	BindWaitMS   float64 `json:"bindWaitMs"`
	BindAttempts int     `json:"bindAttempts,omitempty"`
	RestoreLog   string  `json:"restoreLog,omitempty"`
	Stats        string  `json:"stats"`
	Non200       int     `json:"non200,omitempty"`
	Verdict      verdict `json:"verdict"`
	notes        []string
}

func newReport(o options) *report {
	return &report{Started: time.Now().UTC(), Options: optionsReport{
		Conns: o.Conns, Kills: o.Kills, Modes: o.Modes, MinDelay: o.MinDelay.String(),
		MaxDelay: o.MaxDelay.String(), Loops: o.Loops, Seed: o.Seed, Signal: signalName(o.Signal),
	}}
}

func (r *report) fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

func (r *report) finish() *report {
	r.Pass = len(r.Failures) == 0
	for _, m := range r.Modes {
		r.Pass = r.Pass && m.Pass
	}
	return r
}

func (m *modeReport) fail(format string, args ...any) {
	m.Failures = append(m.Failures, fmt.Sprintf(format, args...))
}

func (m *modeReport) setFlags(l *launcher) {
	m.Args = l.command()
	m.FsyncDropped = l.fsyncDropped
}

// add counts one checked crash into the mode's totals.
func (m *modeReport) add(k killReport) {
	m.Kills = append(m.Kills, k)
	v := k.Verdict
	m.Acked += v.Acked
	m.Sent += v.Sent
	m.Lost += v.Lost
	m.InFlightKept += v.InFlightCounted
	m.MaxRestartMS = max(m.MaxRestartMS, k.RestartMS)
	m.MaxBindWaitMS = max(m.MaxBindWaitMS, k.BindWaitMS)
	if k.RestartMS > ms(slowRestart) {
		m.SlowRestarts++
	}
	for _, p := range v.Problems {
		m.fail("kill %d: %s", k.Kill, p)
	}
	if k.BindAttempts > 0 {
		m.fail("kill %d: the restart could not bind the address for %.0f ms (%d attempts)", k.Kill, k.BindWaitMS, k.BindAttempts)
	}
}

func (m *modeReport) finish() {
	if n := len(m.Kills); n > 0 {
		if c, err := parseStats([]byte(m.Kills[n-1].Stats)); err == nil {
			m.Restored = c.Total
		}
	}
	m.Pass = len(m.Failures) == 0
}

// line is the progress line printed after each restart.
func (k killReport) line(mode string, kills int) string {
	v := k.Verdict
	result := "ok"
	if !v.OK() {
		result = "FAIL: " + strings.Join(v.Problems, "; ")
	}
	s := fmt.Sprintf("%s: kill %2d/%d after %5.0f ms: sent %s, acked %s, restored %+d (kept %d in flight, lost %d), restart %.0f ms",
		mode, k.Kill, kills, k.LoadMS, thousands.Uint(v.Sent), thousands.Uint(v.Acked), v.Restored, v.InFlightCounted, v.Lost, k.RestartMS)
	if k.BindAttempts > 0 {
		s += fmt.Sprintf(" (bound after %.0f ms, %d attempts)", k.BindWaitMS, k.BindAttempts)
	}
	if k.RestoreLog != "" {
		s += " | " + k.RestoreLog
	}
	for _, n := range k.notes {
		s += " | " + n
	}
	return s + " | " + result
}

// table renders the report for people.
func (r *report) table() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tkills\tacked\trestored\tacked but lost\tin flight, restored\tmax restart ms\tresult\t")
	for _, m := range r.Modes {
		result := "PASS"
		if !m.Pass {
			result = "FAIL"
		}
		mode := m.Mode
		if m.FsyncDropped {
			mode += " (no -fsync)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%.0f\t%s\t\n", mode, len(m.Kills), thousands.Uint(m.Acked),
			thousands.Uint(m.Restored), thousands.Uint(m.Lost), thousands.Uint(m.InFlightKept), m.MaxRestartMS, result)
	}
	tw.Flush()
	for _, m := range r.Modes {
		if m.FsyncDropped {
			fmt.Fprintf(&b, "%s: the daemon rejected -fsync (\"flag provided but not defined\"); it ran as: %s\n", m.Mode, m.Args)
		}
		if m.SlowRestarts > 0 {
			fmt.Fprintf(&b, "%s: %d restarts took more than %v\n", m.Mode, m.SlowRestarts, slowRestart)
		}
		for _, f := range m.Failures {
			fmt.Fprintf(&b, "%s: FAIL %s\n", m.Mode, f)
		}
	}
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "FAIL %s\n", f)
	}
	if r.Kept != "" {
		fmt.Fprintf(&b, "data directories and daemon logs kept in %s\n", r.Kept)
	}
	if r.Pass {
		b.WriteString("PASS\n")
	} else {
		b.WriteString("FAIL\n")
	}
	return b.String()
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
