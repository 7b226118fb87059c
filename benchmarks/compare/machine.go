package main

import (
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
)

// machine describes where a run happened, for the report.
type machine struct {
	Cores     string `json:"cores"`    // nproc
	CPUModel  string `json:"cpuModel"` // first "model name" in /proc/cpuinfo
	Kernel    string `json:"kernel"`   // uname -r
	GoVersion string `json:"goVersion"`
	Wrk       string `json:"wrk"`
	Nginx     string `json:"nginx,omitempty"`
	ClkTck    uint64 `json:"clkTck"`
	Date      string `json:"date"` // UTC, RFC 3339
	// LoadBefore and LoadAfter are /proc/loadavg's 1, 5 and 15 minute
	// figures when the run started and ended: other work on the machine
	// takes CPU time from the pinned cores and lowers req/s.
	LoadBefore string `json:"loadBefore"`
	LoadAfter  string `json:"loadAfter,omitempty"`
}

func describeMachine(env *environment) machine {
	m := machine{
		Cores:      firstLine(commandOutput("nproc")),
		CPUModel:   procstat.CPUModel(),
		Kernel:     firstLine(commandOutput("uname", "-r")),
		GoVersion:  firstLine(commandOutput("go", "env", "GOVERSION")),
		Wrk:        wrkVersion(commandOutput(env.wrk, "-v")),
		ClkTck:     uint64(time.Second / procstat.Tick),
		Date:       time.Now().UTC().Format(time.RFC3339),
		LoadBefore: procstat.LoadAverage(),
	}
	if m.GoVersion == "" {
		m.GoVersion = runtime.Version()
	}
	if env.nginx != "" {
		m.Nginx = firstLine(commandOutput(env.nginx, "-v"))
	}
	return m
}

// commandOutput runs a command and returns stdout and stderr together (wrk -v
// exits 1; nginx -v prints to stderr), or "" when it cannot start.
func commandOutput(name string, args ...string) string {
	out, _ := exec.Command(name, args...).CombinedOutput()
	return string(out)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// wrkVersion keeps "wrk 4.1.0 [epoll]" from the banner wrk -v prints.
func wrkVersion(banner string) string {
	v, _, _ := strings.Cut(firstLine(banner), " Copyright")
	return strings.TrimSpace(v)
}
