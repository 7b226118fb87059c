package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// errProcFormat reports a /proc file that does not have the documented shape.
var errProcFormat = errors.New("compare: unexpected /proc format")

// Field positions in /proc/PID/stat (proc(5), 1-based): 2 is "(comm)",
// 14 utime and 15 stime, both in clock ticks and summed over every thread of
// the process. comm is the executable name, up to 15 bytes, and may hold
// spaces and parentheses, so fields are counted after the LAST ')'.
const (
	statFieldAfterComm = 3 // the state field: the first after "(comm)"
	statFieldUtime     = 14
	statFieldStime     = 15
)

// parseStatCPU returns utime+stime in clock ticks from a /proc/PID/stat line.
func parseStatCPU(stat []byte) (uint64, error) {
	closing := bytes.LastIndexByte(stat, ')')
	if closing < 0 {
		return 0, fmt.Errorf("%w: no ')' in stat", errProcFormat)
	}
	fields := strings.Fields(string(stat[closing+1:]))
	last := statFieldStime - statFieldAfterComm
	if len(fields) <= last {
		return 0, fmt.Errorf("%w: stat has %d fields after comm", errProcFormat, len(fields))
	}
	var total uint64
	for _, f := range []int{statFieldUtime, statFieldStime} {
		v, err := strconv.ParseUint(fields[f-statFieldAfterComm], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: field %d: %v", errProcFormat, f, err)
		}
		total += v
	}
	return total, nil
}

// parseVmHWM returns the peak resident set size in KiB from the text of
// /proc/PID/status (line "VmHWM:    1234 kB").
func parseVmHWM(status []byte) (uint64, error) {
	for line := range strings.Lines(string(status)) {
		rest, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("%w: VmHWM line %q", errProcFormat, strings.TrimSpace(line))
		}
		return strconv.ParseUint(fields[0], 10, 64)
	}
	return 0, fmt.Errorf("%w: no VmHWM line", errProcFormat)
}

// processCPUTicks reads utime+stime of a live process.
func processCPUTicks(pid int) (uint64, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(stat)
}

// processPeakRSSKiB reads VmHWM of a live process.
func processPeakRSSKiB(pid int) (uint64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmHWM(status)
}

// clockTicksPerSecond asks getconf for CLK_TCK, the unit of utime and stime.
func clockTicksPerSecond() (uint64, error) {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return 0, fmt.Errorf("getconf CLK_TCK: %w", err)
	}
	hz, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || hz == 0 {
		return 0, fmt.Errorf("getconf CLK_TCK: bad output %q", out)
	}
	return hz, nil
}

// coreTimes are one CPU's counters from /proc/stat, in clock ticks.
type coreTimes struct {
	Busy uint64 // user+nice+system+irq+softirq+steal
	Idle uint64 // idle+iowait
}

// parseCoreTimes finds the line "cpuN user nice system idle iowait irq
// softirq steal ..." (proc(5)) for one CPU in the text of /proc/stat.
func parseCoreTimes(stat []byte, cpu int) (coreTimes, error) {
	prefix := fmt.Sprintf("cpu%d ", cpu)
	for line := range strings.Lines(string(stat)) {
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) < 8 {
			return coreTimes{}, fmt.Errorf("%w: %s has %d fields", errProcFormat, prefix, len(fields))
		}
		var v [8]uint64
		for i := range v {
			n, err := strconv.ParseUint(fields[i], 10, 64)
			if err != nil {
				return coreTimes{}, fmt.Errorf("%w: %s field %d: %v", errProcFormat, prefix, i, err)
			}
			v[i] = n
		}
		const user, nice, system, idle, iowait, irq, softirq, steal = 0, 1, 2, 3, 4, 5, 6, 7
		return coreTimes{
			Busy: v[user] + v[nice] + v[system] + v[irq] + v[softirq] + v[steal],
			Idle: v[idle] + v[iowait],
		}, nil
	}
	return coreTimes{}, fmt.Errorf("%w: no %q line", errProcFormat, strings.TrimSpace(prefix))
}

// readCoreTimes reads one CPU's counters now.
func readCoreTimes(cpu int) (coreTimes, error) {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return coreTimes{}, err
	}
	return parseCoreTimes(stat, cpu)
}
