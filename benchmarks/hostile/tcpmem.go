package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// parseSockstatTCPMem returns the "mem" figure of the "TCP:" line of
// /proc/net/sockstat: pages the kernel has allocated to TCP buffers, machine-wide.
func parseSockstatTCPMem(text []byte) (int64, error) {
	for line := range strings.Lines(string(text)) {
		rest, ok := strings.CutPrefix(line, "TCP:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		for i := 0; i+1 < len(f); i += 2 {
			if f[i] == "mem" {
				v, err := strconv.ParseInt(f[i+1], 10, 64)
				if err != nil || v < 0 {
					return 0, fmt.Errorf("%w: sockstat TCP mem %q", errStatFormat, f[i+1])
				}
				return v, nil
			}
		}
		return 0, fmt.Errorf("%w: sockstat TCP line without mem", errStatFormat)
	}
	return 0, fmt.Errorf("%w: no TCP line in sockstat", errStatFormat)
}

func readTCPMemPages() (int64, error) {
	b, err := os.ReadFile("/proc/net/sockstat")
	if err != nil {
		return 0, err
	}
	return parseSockstatTCPMem(b)
}

// tcpMemPressure is the middle value of net.ipv4.tcp_mem (pages): above it the
// kernel shrinks every TCP socket's buffers, other programs' included. 0 if unknown.
func tcpMemPressure() int64 {
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_mem")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 3 {
		return 0
	}
	v, _ := strconv.ParseInt(f[1], 10, 64)
	return v
}
