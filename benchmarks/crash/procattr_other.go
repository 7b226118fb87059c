//go:build !linux

package main

import "syscall"

// daemonProcAttr has no parent-death signal to offer off Linux.
func daemonProcAttr() *syscall.SysProcAttr { return nil }
