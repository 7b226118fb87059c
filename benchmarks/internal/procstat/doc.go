// Package procstat reads, from Linux's /proc, what the benchmarks charge to the
// processes they measure (CPU time, resident memory, sockets) and the machine-wide
// counters they watch (one CPU's busy time, TCP buffer pages).
//
// It is a thin layer over github.com/prometheus/procfs, which parses the files
// (proc(5)); this package turns its figures into the units the reports use
// (time.Duration, bytes) and adds the one write procfs lacks (ResetPeak). Every
// function reads /proc afresh; off Linux they return the error of the missing
// /proc.
package procstat
