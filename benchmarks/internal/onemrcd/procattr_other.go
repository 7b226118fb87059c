//go:build !linux

package onemrcd

import "syscall"

// ChildProcAttr has no parent-death signal to offer off Linux.
func ChildProcAttr() *syscall.SysProcAttr { return nil }
