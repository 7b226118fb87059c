// Package cli holds what the benchmark tools' main functions do alike, so that
// every tool answers the same way: -h prints the usage and exits 0, a usage
// error is printed after the tool's name and exits 2, a failed run exits 1, and
// Ctrl-C or SIGTERM cancels the run's context (instead of killing the process)
// so that it still stops the daemons it started and reports what it saw.
package cli
