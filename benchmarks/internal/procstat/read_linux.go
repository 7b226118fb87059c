//go:build linux

package procstat

import (
	"os"
	"strconv"
)

// Read samples process pid from /proc.
func Read(pid int) (Sample, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	stat, err := os.ReadFile(dir + "stat")
	if err != nil {
		return Sample{}, err
	}
	status, err := os.ReadFile(dir + "status")
	if err != nil {
		return Sample{}, err
	}
	var s Sample
	if s.CPU, err = parseStat(stat); err != nil {
		return Sample{}, err
	}
	if s.PeakRSS, err = parseStatusKB(status, "VmHWM"); err != nil {
		return Sample{}, err
	}
	if s.RSS, err = parseStatusKB(status, "VmRSS"); err != nil {
		return Sample{}, err
	}
	return s, nil
}
