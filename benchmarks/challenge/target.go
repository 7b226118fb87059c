package main

import (
	"fmt"
	"net"
	"strconv"
)

// checkTarget refuses a non-loopback address unless allowed: the challenge
// floods its target, which must be a deliberate choice off this machine.
func checkTarget(addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("-addr %q: bad port", addr)
	}
	if allowRemote || isLoopback(host) {
		return nil
	}
	return fmt.Errorf("-addr %q is not a loopback address; pass -allow-remote to load another host", addr)
}

// isLoopback accepts localhost and loopback IP literals only; other names
// would need a DNS answer we cannot vouch for.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
