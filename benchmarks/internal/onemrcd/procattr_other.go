//go:build !linux

package onemrcd

import "syscall"

// childProcAttr has no parent-death signal to offer off Linux.
func childProcAttr() *syscall.SysProcAttr { return nil }
