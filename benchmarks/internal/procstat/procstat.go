package procstat

import (
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/prometheus/procfs"
)

// Tick is the unit of the kernel's CPU time counters in /proc/PID/stat and
// /proc/stat: USER_HZ, fixed at 100 on every Linux architecture for ABI stability
// (the in-kernel HZ may differ), and so what getconf CLK_TCK prints.
const Tick = time.Second / 100

// Sample is one reading of a process.
type Sample struct {
	CPU     time.Duration // utime + stime of every thread since the process started
	RSS     int64         // VmRSS: the resident set now, bytes
	PeakRSS int64         // VmHWM: the resident set's high-water mark, bytes
	Anon    int64         // RssAnon: the anonymous part of RSS (heap, stacks), bytes; 0 before Linux 4.5
}

// Read samples process pid.
func Read(pid int) (Sample, error) {
	stat, err := fromProc(pid, procfs.Proc.Stat)
	if err != nil {
		return Sample{}, err
	}
	status, err := fromProc(pid, procfs.Proc.NewStatus)
	if err != nil {
		return Sample{}, err
	}
	return Sample{
		CPU:     ticks(uint64(stat.UTime) + uint64(stat.STime)),
		RSS:     int64(status.VmRSS),
		PeakRSS: int64(status.VmHWM),
		Anon:    int64(status.RssAnon),
	}, nil
}

// CPU reads only the CPU time of process pid: what a tight polling loop needs.
func CPU(pid int) (time.Duration, error) {
	stat, err := fromProc(pid, procfs.Proc.Stat)
	if err != nil {
		return 0, err
	}
	return ticks(uint64(stat.UTime) + uint64(stat.STime)), nil
}

// Sockets counts the open file descriptors of process pid that are sockets
// (links "socket:[inode]" in /proc/PID/fd). A descriptor closed during the count
// is skipped.
func Sockets(pid int) (int, error) {
	targets, err := fromProc(pid, procfs.Proc.FileDescriptorTargets)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range targets {
		if strings.HasPrefix(t, "socket:") {
			n++
		}
	}
	return n, nil
}

// ResetPeak sets the VmHWM of pid back to its current VmRSS (proc(5),
// /proc/PID/clear_refs value 5), so that each measurement reports its own peak. It
// needs the right to ptrace pid, which a parent of the same user has.
func ResetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// Children lists the processes whose parent is pid (an nginx master's workers). A
// process that exits during the scan is skipped.
func Children(pid int) ([]int, error) {
	procs, err := procfs.AllProcs()
	if err != nil {
		return nil, err
	}
	var kids []int
	for _, p := range procs {
		if stat, err := p.Stat(); err == nil && stat.PPID == pid {
			kids = append(kids, p.PID)
		}
	}
	return kids, nil
}

// Core is one CPU's time since boot, from its "cpuN" line of /proc/stat.
type Core struct {
	Busy time.Duration // user + nice + system + irq + softirq + steal
	Idle time.Duration // idle + iowait
}

// ReadCore reads the counters of CPU cpu.
func ReadCore(cpu int) (Core, error) {
	stat, err := fromFS(procfs.FS.Stat)
	if err != nil {
		return Core{}, err
	}
	c, ok := stat.CPU[int64(cpu)]
	if !ok {
		return Core{}, fmt.Errorf("procstat: no cpu%d line in /proc/stat", cpu)
	}
	return Core{
		Busy: seconds(c.User) + seconds(c.Nice) + seconds(c.System) + seconds(c.IRQ) + seconds(c.SoftIRQ) + seconds(c.Steal),
		Idle: seconds(c.Idle) + seconds(c.Iowait),
	}, nil
}

// TCPMemPages is the "mem" figure of the TCP line of /proc/net/sockstat: pages the
// kernel has allocated to TCP buffers, machine-wide.
func TCPMemPages() (int64, error) {
	s, err := fromFS(procfs.FS.NetSockstat)
	if err != nil {
		return 0, err
	}
	for _, p := range s.Protocols {
		if p.Protocol == "TCP" && p.Mem != nil {
			return int64(*p.Mem), nil
		}
	}
	return 0, fmt.Errorf("procstat: no TCP mem in /proc/net/sockstat")
}

// TCPMemPressure is the middle value of net.ipv4.tcp_mem (pages): above it the
// kernel shrinks every TCP socket's buffers, other programs' included.
func TCPMemPressure() (int64, error) {
	v, err := fromFS(func(fs procfs.FS) ([]int, error) { return fs.SysctlInts("net.ipv4.tcp_mem") })
	if err != nil {
		return 0, err
	}
	if len(v) != 3 {
		return 0, fmt.Errorf("procstat: net.ipv4.tcp_mem has %d values, want 3", len(v))
	}
	return int64(v[1]), nil
}

// fromProc applies read to process pid's /proc/PID.
func fromProc[T any](pid int, read func(procfs.Proc) (T, error)) (T, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		var zero T
		return zero, err
	}
	return read(p)
}

// fromFS applies read to the mounted /proc.
func fromFS[T any](read func(procfs.FS) (T, error)) (T, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		var zero T
		return zero, err
	}
	return read(fs)
}

// ticks converts a count of Ticks.
func ticks(n uint64) time.Duration { return time.Duration(n) * Tick }

// seconds converts procfs's float seconds (its tick counts divided by USER_HZ)
// back to whole Ticks, so sums and differences stay exact.
func seconds(s float64) time.Duration {
	return time.Duration(math.Round(s*float64(time.Second/Tick))) * Tick
}
