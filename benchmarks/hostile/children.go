package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// errStatFormat means a /proc/PID/stat line or /proc/net/sockstat text did not have
// the shape proc(5) documents.
var errStatFormat = errors.New("hostile: unexpected /proc stat format")

// parsePPID returns the parent's PID (field 4) from a /proc/PID/stat line (proc(5)).
// Field 2, "(comm)", may hold spaces and parentheses, so fields are counted after the
// LAST ')': the state (field 3) comes first, then ppid. CPU time and memory come from
// benchmarks/internal/procstat.
func parsePPID(stat []byte) (int, error) {
	closing := bytes.LastIndexByte(stat, ')')
	if closing < 0 {
		return 0, fmt.Errorf("%w: no ')' in stat", errStatFormat)
	}
	fields := strings.Fields(string(stat[closing+1:]))
	if len(fields) < 2 {
		return 0, fmt.Errorf("%w: stat has %d fields after comm", errStatFormat, len(fields))
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil || ppid < 0 {
		return 0, fmt.Errorf("%w: ppid %q", errStatFormat, fields[1])
	}
	return ppid, nil
}

// childPIDs lists the processes under procDir (/proc) whose parent is pid: the
// workers of an nginx master. A process that exits during the scan is skipped.
func childPIDs(procDir string, pid int) ([]int, error) {
	entries, err := os.ReadDir(procDir)
	if err != nil {
		return nil, err
	}
	var kids []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue // not a process directory
		}
		b, err := os.ReadFile(filepath.Join(procDir, e.Name(), "stat"))
		if err != nil {
			continue
		}
		if ppid, err := parsePPID(b); err == nil && ppid == pid {
			kids = append(kids, n)
		}
	}
	return kids, nil
}
