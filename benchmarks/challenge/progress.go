package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/loadgen"
	"github.com/onemrc/onemrc/benchmarks/internal/thousands"
)

// progressEvery is the request interval of plain progress lines (not a terminal).
const progressEvery = 100_000

// isTerminal reports whether f is a character device such as a terminal.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// showProgress prints the run's progress until stop is closed: on a
// terminal one line rewritten in place four times a second, otherwise a
// plain line every progressEvery events. It closes done when finished.
func showProgress(w io.Writer, terminal bool, p loadgen.Progress, n int, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	interval := 250 * time.Millisecond
	if !terminal {
		interval = 50 * time.Millisecond
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	start := time.Now()
	last, lastAt := uint64(0), start
	nextPlain := uint64(progressEvery)
	width := 0
	for {
		var finished bool
		select {
		case <-stop:
			finished = true
		case <-tick.C:
		}
		now, d := time.Now(), p.Done()
		if terminal {
			rate := float64(d-last) / now.Sub(lastAt).Seconds()
			if finished {
				rate = float64(d) / now.Sub(start).Seconds() // the run's average
			}
			line := fmt.Sprintf("  %s / %s events  %s events/s  %s errors",
				thousands.Uint(d), thousands.Uint(uint64(n)), thousands.Uint(uint64(rate)), thousands.Uint(p.Errors()))
			pad := max(width-len(line), 0)
			width = len(line)
			fmt.Fprintf(w, "\r%s%s", line, strings.Repeat(" ", pad))
			if finished {
				fmt.Fprintln(w)
			}
		} else {
			for d >= nextPlain {
				fmt.Fprintf(w, "progress: %s / %s events, %s events/s average, %s errors\n",
					thousands.Uint(nextPlain), thousands.Uint(uint64(n)),
					thousands.Uint(uint64(float64(d)/now.Sub(start).Seconds())), thousands.Uint(p.Errors()))
				nextPlain += progressEvery
			}
		}
		last, lastAt = d, now
		if finished {
			return
		}
	}
}
