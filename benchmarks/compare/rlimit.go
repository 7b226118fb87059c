package main

import (
	"fmt"
	"syscall"
)

// raiseOpenFiles lifts RLIMIT_NOFILE to at least want (up to the hard limit,
// or past it when running as root). Children inherit it: an explicit
// Setrlimit also stops os/exec restoring the soft limit the Go runtime found
// at startup, so wrk and the servers get room for 1,000 connections.
func raiseOpenFiles(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Max < want {
		lim.Max = want // only root may do this; the error below says so otherwise
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("setrlimit NOFILE to %d: %w", lim.Cur, err)
	}
	return lim.Cur, nil
}
