// Command table reads the output of the per-stage benchmarks
// (go test -bench ./benchmarks/stages/, any -count) on stdin and prints one
// Markdown table: for each stage onemrc's median ns and worst allocs/op, the
// baseline's, their ratio, the projection this project started from, the
// target and whether it is met. `just stages` runs both.
//
// It exits 1 when the input holds no benchmark result or reports a failure
// (the table is still printed from whatever was read); missed targets are
// reported in the table, not in the exit status.
//
// With -cpu it shows the CPU time the benchmarks report beside their wall
// time (cpu-ns/op): on a machine shared with other load, wall time also
// counts the time other processes held the core.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	cpu := flag.Bool("cpu", false, "show the process CPU time per op (cpu-ns/op) instead of wall time")
	flag.Parse()
	r, err := parseRun(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "table:", err)
		os.Exit(1)
	}
	if len(r.samples) == 0 {
		fmt.Fprintln(os.Stderr, "table: no benchmark results on stdin")
		os.Exit(1)
	}
	render(os.Stdout, r, resolve(r, rows, *cpu), *cpu)
	if r.failed {
		fmt.Fprintln(os.Stderr, "table: the benchmark run reported a failure")
		os.Exit(1)
	}
}
