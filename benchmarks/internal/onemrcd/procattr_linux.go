//go:build linux

package onemrcd

import "syscall"

// childProcAttr makes the kernel kill a child (a daemon, a redis-server) if the
// benchmark dies without stopping it (a crash, kill -9), so no stray process keeps a
// port.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
