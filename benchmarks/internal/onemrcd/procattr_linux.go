//go:build linux

package onemrcd

import "syscall"

// ChildProcAttr makes the kernel kill a child (a daemon, a redis-server) if the
// benchmark dies without stopping it (a crash, kill -9), so no stray process keeps a
// port.
func ChildProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
