package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// The measured processes should get their pinned cores even when unrelated
// work shares the machine. A nice value alone does not do that when the
// kernel groups tasks by session (sched_autogroup_enabled = 1): CPU time is
// then shared fairly between sessions first, and nice only ranks tasks
// inside one. So each measured process starts in a session of its own and
// gets the nice level both for itself (nice -n) and for its session's group
// (/proc/PID/autogroup).

// isolate makes cmd start in a new session (a new autogroup) and be killed if
// the harness dies, so no server outlives an interrupted run.
func isolate(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
}

// boostGroup sets the nice level of the autogroup of a process started by
// isolate. It does nothing for level 0 or where autogroups are off.
func boostGroup(pid, level int) error {
	if level == 0 {
		return nil
	}
	enabled, err := os.ReadFile("/proc/sys/kernel/sched_autogroup_enabled")
	if err != nil || strings.TrimSpace(string(enabled)) != "1" {
		return nil
	}
	path := fmt.Sprintf("/proc/%d/autogroup", pid)
	if err := os.WriteFile(path, []byte(strconv.Itoa(level)), 0); err != nil {
		return fmt.Errorf("set %s to nice %d: %w", path, level, err)
	}
	return nil
}
