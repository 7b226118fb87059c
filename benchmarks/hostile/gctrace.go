package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// gcLine is one line the Go runtime prints under GODEBUG=gctrace=1 (runtime
// package docs, "gctrace"):
//
//	gc # @#s #%: #+#+# ms clock, #+#/#/#+# ms cpu, #->#-># MB, # MB goal, ...
//
// The three clock figures are the wall time of the stop-the-world sweep
// termination, the concurrent mark, and the stop-the-world mark termination.
type gcLine struct {
	N         int
	At        time.Duration // since the process started
	SweepTerm time.Duration // STW
	Mark      time.Duration // concurrent
	MarkTerm  time.Duration // STW
	HeapLive  int           // MB marked live at the end of the cycle (the third heap figure)
	Forced    bool          // runtime.GC() asked for it (the line ends in "(forced)")
	Text      string
}

// STW is the cycle's wall-clock stop-the-world time.
func (g gcLine) STW() time.Duration { return g.SweepTerm + g.MarkTerm }

// parseGCLine parses one gctrace line; ok is false for any other line.
func parseGCLine(line string) (g gcLine, ok bool) {
	rest, found := strings.CutPrefix(line, "gc ")
	if !found {
		return gcLine{}, false
	}
	fields := strings.Fields(rest)
	// fields: "#", "@#s", "#%:", "a+b+c", "ms", "clock,", ..., "x->y->z", "MB,"
	if len(fields) < 6 || fields[4] != "ms" || fields[5] != "clock," {
		return gcLine{}, false
	}
	var err error
	if g.N, err = strconv.Atoi(fields[0]); err != nil {
		return gcLine{}, false
	}
	at, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(fields[1], "@"), "s"), 64)
	if err != nil {
		return gcLine{}, false
	}
	g.At = time.Duration(at * float64(time.Second))
	clock := strings.Split(fields[3], "+")
	if len(clock) != 3 {
		return gcLine{}, false
	}
	var phases [3]time.Duration
	for i, c := range clock {
		v, err := strconv.ParseFloat(c, 64)
		if err != nil || v < 0 {
			return gcLine{}, false
		}
		phases[i] = time.Duration(v * float64(time.Millisecond))
	}
	g.SweepTerm, g.Mark, g.MarkTerm = phases[0], phases[1], phases[2]
	for i, f := range fields {
		if strings.Contains(f, "->") && i+1 < len(fields) && fields[i+1] == "MB," {
			heaps := strings.Split(f, "->")
			if len(heaps) == 3 {
				g.HeapLive, _ = strconv.Atoi(heaps[2])
			}
			break
		}
	}
	g.Forced = strings.HasSuffix(line, "(forced)")
	g.Text = line
	return g, true
}

// gcSummary condenses the gctrace lines of a run.
type gcSummary struct {
	Cycles                int
	MaxSTW                gcLine // the cycle with the longest stop-the-world total
	MaxSweepTerm, MaxMark time.Duration
	MaxMarkTerm           time.Duration
	Last                  []gcLine // the last few cycles
}

func summarizeGC(lines []string, keepLast int) gcSummary {
	var s gcSummary
	for _, l := range lines {
		g, ok := parseGCLine(l)
		if !ok {
			continue
		}
		s.Cycles++
		if s.Cycles == 1 || g.STW() > s.MaxSTW.STW() {
			s.MaxSTW = g
		}
		s.MaxSweepTerm = max(s.MaxSweepTerm, g.SweepTerm)
		s.MaxMark = max(s.MaxMark, g.Mark)
		s.MaxMarkTerm = max(s.MaxMarkTerm, g.MarkTerm)
		s.Last = append(s.Last, g)
		if len(s.Last) > keepLast {
			s.Last = s.Last[1:]
		}
	}
	return s
}

// us formats d in microseconds, or milliseconds from 10 ms up.
func us(d time.Duration) string {
	if d >= 10*time.Millisecond {
		return ms(d)
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}
