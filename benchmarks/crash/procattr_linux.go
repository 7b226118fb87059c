//go:build linux

package main

import "syscall"

// daemonProcAttr makes the kernel kill the daemon if the harness dies without
// stopping it, so no stray daemon keeps a port or a data directory.
func daemonProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
