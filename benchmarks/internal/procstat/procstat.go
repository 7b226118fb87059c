// Package procstat reads a process's CPU time and peak memory from Linux's
// /proc, to charge the daemon's cost to the requests of a load run.
package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ErrFormat means a /proc file did not have the layout proc(5) documents.
var ErrFormat = errors.New("procstat: unexpected /proc format")

// userHZ is the unit of utime and stime in /proc/PID/stat. The kernel
// exports these in USER_HZ, which is fixed at 100 on every Linux
// architecture for ABI stability (the in-kernel HZ may differ).
const userHZ = 100

// Sample is one reading of a process.
type Sample struct {
	CPU     time.Duration // user + system time since the process started
	PeakRSS int64         // VmHWM: the resident set's high-water mark, bytes
	RSS     int64         // VmRSS: the resident set now, bytes
}

// parseStat extracts utime+stime from the text of /proc/PID/stat. The
// second field (comm) is parenthesised and may itself hold spaces or
// parentheses, so fields are counted from the last ')'.
func parseStat(data []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return 0, ErrFormat
	}
	// After "comm)": field 3 (state) is index 0, so utime (field 14) is
	// index 11 and stime (field 15) index 12.
	fields := bytes.Fields(data[end+1:])
	if len(fields) < 13 {
		return 0, ErrFormat
	}
	utime, err1 := strconv.ParseUint(string(fields[11]), 10, 64)
	stime, err2 := strconv.ParseUint(string(fields[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, ErrFormat
	}
	ticks := utime + stime
	return time.Duration(ticks) * (time.Second / userHZ), nil
}

// parseStatusKB returns the value of a "Name:   123 kB" line of
// /proc/PID/status in bytes.
func parseStatusKB(data []byte, name string) (int64, error) {
	for line := range bytes.Lines(data) {
		rest, ok := bytes.CutPrefix(line, []byte(name+":"))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		if len(fields) != 2 || string(fields[1]) != "kB" {
			return 0, fmt.Errorf("%w: %s line %q", ErrFormat, name, line)
		}
		kb, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %s line %q", ErrFormat, name, line)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("%w: no %s line", ErrFormat, name)
}
