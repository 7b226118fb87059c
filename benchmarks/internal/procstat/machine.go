package procstat

import (
	"fmt"

	"github.com/prometheus/procfs"
)

// CPUModel is the first "model name" of /proc/cpuinfo, for a report's machine line;
// "unknown CPU" when there is none.
func CPUModel() string {
	cpus, err := fromFS(procfs.FS.CPUInfo)
	if err != nil || len(cpus) == 0 || cpus[0].ModelName == "" {
		return "unknown CPU"
	}
	return cpus[0].ModelName
}

// LoadAverage is /proc/loadavg's 1, 5 and 15 minute figures as the kernel prints
// them ("1.89 3.60 5.79"), or "unknown": other work on the machine takes CPU time
// from a benchmark.
func LoadAverage() string {
	l, err := fromFS(procfs.FS.LoadAvg)
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.2f %.2f %.2f", l.Load1, l.Load5, l.Load15)
}
