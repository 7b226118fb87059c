//go:build linux

package main

import "syscall"

// daemonProcAttr makes the kernel kill the daemon if the runner dies
// without stopping it (a crash, kill -9), so no stray daemon keeps a port.
func daemonProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
