package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// errNoField means /proc/PID/status lacked a field proc(5) documents.
var errNoField = errors.New("hostile: field missing from /proc/PID/status")

// memory is one reading of a process's resident set.
type memory struct {
	RSS  int64 // VmRSS: resident now, bytes
	HWM  int64 // VmHWM: the resident set's high-water mark, bytes
	Anon int64 // RssAnon: the anonymous part of VmRSS (heap, stacks), not the mapped binary; 0 before Linux 4.5
}

// parseStatus reads VmRSS, VmHWM and RssAnon from the text of /proc/PID/status,
// where each is a line "VmRSS:\t   1234 kB" (proc(5); the unit is always kB).
// VmRSS and VmHWM must be there; RssAnon is optional.
func parseStatus(r io.Reader) (memory, error) {
	var m memory
	var seenRSS, seenHWM bool
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM" && name != "RssAnon") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return memory{}, fmt.Errorf("hostile: %s line %q: want \"<n> kB\"", name, sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || kb < 0 {
			return memory{}, fmt.Errorf("hostile: %s line %q: bad number", name, sc.Text())
		}
		switch name {
		case "VmRSS":
			m.RSS, seenRSS = kb<<10, true
		case "VmHWM":
			m.HWM, seenHWM = kb<<10, true
		default:
			m.Anon = kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		return memory{}, err
	}
	if !seenRSS || !seenHWM {
		return memory{}, errNoField
	}
	return m, nil
}

// readMemory reads the memory figures of process pid.
func readMemory(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	defer f.Close()
	return parseStatus(f)
}

// countSockets counts the entries of an fd directory (/proc/PID/fd) whose link
// target starts with "socket:" (proc(5): "socket:[inode]"). An fd closed between
// the listing and its readlink is skipped, not an error.
func countSockets(fdDir string) (int, error) {
	entries, err := os.ReadDir(fdDir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(fdDir, e.Name()))
		if err != nil {
			continue
		}
		if strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n, nil
}

// resetHWM sets the VmHWM of pid back to its current VmRSS (proc(5),
// /proc/PID/clear_refs value 5), so that each scenario reports its own peak.
// It needs the right to ptrace pid, which a parent of the same user has.
func resetHWM(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// mib formats bytes as MiB with one decimal.
func mib(b int64) string {
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64)
}
