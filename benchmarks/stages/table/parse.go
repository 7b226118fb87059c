package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// run is everything read from one `go test -bench` output.
type run struct {
	// samples maps a benchmark name (without the -GOMAXPROCS suffix) to
	// its results, one per -count repetition, in input order.
	samples map[string][]sample
	// context holds the "key: value" lines go test prints before the
	// results (goos, goarch, pkg, cpu).
	context map[string]string
	// failed records a FAIL line or a panic in the output.
	failed bool
}

// sample is one result line: its metrics by unit ("ns/op", "allocs/op",
// "B/op", "MB/s" and custom ones such as "ns/req").
type sample map[string]float64

// procsSuffix is the "-N" go test appends to a benchmark name when
// GOMAXPROCS is not 1. Benchmark names in this package never end in
// "-digits" themselves, so stripping it is safe.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// parseRun reads go test output. A result line is
//
//	BenchmarkName[-N] <iterations> (<value> <unit>)...
//
// where the name and the rest may be split over two lines when a benchmark
// printed something in between; other lines are context or ignored.
func parseRun(r io.Reader) (*run, error) {
	out := &run{samples: map[string][]sample{}, context: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	pendingName := ""
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := strings.TrimSpace(sc.Text())
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
			continue
		case strings.HasPrefix(fields[0], "Benchmark") && len(fields) == 1:
			pendingName = fields[0]
			continue
		case strings.HasPrefix(fields[0], "Benchmark"):
			pendingName = ""
			if err := out.addResult(fields[0], fields[1:]); err != nil {
				return nil, fmt.Errorf("line %d: %w", lineNo, err)
			}
			continue
		case pendingName != "" && isDigits(fields[0]):
			if err := out.addResult(pendingName, fields); err != nil {
				return nil, fmt.Errorf("line %d: %w", lineNo, err)
			}
			pendingName = ""
			continue
		case fields[0] == "FAIL" || fields[0] == "---" && len(fields) > 1 && fields[1] == "FAIL:" || strings.HasPrefix(line, "panic:"):
			out.failed = true
		}
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.Contains(k, " ") {
			out.context[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// addResult parses "<iterations> (<value> <unit>)..." for name.
func (r *run) addResult(name string, rest []string) error {
	if len(rest) < 3 || len(rest)%2 != 1 || !isDigits(rest[0]) {
		return fmt.Errorf("malformed result for %s: %q", name, strings.Join(rest, " "))
	}
	s := sample{}
	for i := 1; i+1 < len(rest); i += 2 {
		v, err := strconv.ParseFloat(rest[i], 64)
		if err != nil {
			return fmt.Errorf("%s: value %q: %w", name, rest[i], err)
		}
		s[rest[i+1]] = v
	}
	if _, ok := s["ns/op"]; !ok {
		return fmt.Errorf("%s: no ns/op", name)
	}
	name = procsSuffix.ReplaceAllString(name, "")
	r.samples[name] = append(r.samples[name], s)
	return nil
}

// median returns the median of unit over name's samples (the mean of the
// middle two for an even count), and false when no sample has the unit.
func (r *run) median(name, unit string) (float64, bool) {
	var vs []float64
	for _, s := range r.samples[name] {
		if v, ok := s[unit]; ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	mid := len(vs) / 2
	if len(vs)%2 == 1 {
		return vs[mid], true
	}
	return (vs[mid-1] + vs[mid]) / 2, true
}

// worst returns the largest value of unit over name's samples: allocations
// are reported at their worst, so one allocating repetition shows.
func (r *run) worst(name, unit string) (float64, bool) {
	found, top := false, 0.0
	for _, s := range r.samples[name] {
		if v, ok := s[unit]; ok && (!found || v > top) {
			found, top = true, v
		}
	}
	return top, found
}

// counts returns the smallest and largest number of samples of any
// benchmark (both 0 when there are none).
func (r *run) counts() (lo, hi int) {
	first := true
	for _, ss := range r.samples {
		if first || len(ss) < lo {
			lo = len(ss)
		}
		if first || len(ss) > hi {
			hi = len(ss)
		}
		first = false
	}
	return lo, hi
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
