package main

import (
	"errors"
	"flag"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
)

// defaultGCPercent is the collector's target (GOGC) unless told otherwise: the heap may
// grow to 1.5 times what is live before the next collection, not 2 times. The daemon's
// live heap is mostly the user set, which holds no pointers (the collector does not scan
// it), and it makes little garbage per request (about 6 MB in a 1,000,000-event run), so
// collections are cheap and rare either way; the 0.5x of the live heap saved is RSS
// (2 MiB of the 1MRC run's 21; 100 MiB at 10M users).
const defaultGCPercent = 50

// memoryConfig is how the daemon sets the Go runtime's memory: -gc-percent and
// -memory-limit. Go's own GOGC and GOMEMLIMIT variables are honoured: each sets its flag's
// default (a flag given on the command line, as ONEMRC_*, or in the config file wins).
type memoryConfig struct {
	gcPercent gcPercentFlag
	limit     byteSizeFlag
}

// registerMemoryFlags declares -gc-percent and -memory-limit on fs, writing into m.
func registerMemoryFlags(fs *flag.FlagSet, m *memoryConfig) {
	m.gcPercent.value = defaultGCPercent
	fs.Var(&m.gcPercent, "gc-percent", "garbage collection target, as GOGC: the heap grows this many percent above what is live before the next collection (-1: off); GOGC in the environment sets the default")
	fs.Var(&m.limit, "memory-limit", "soft limit on the Go runtime's memory, as GOMEMLIMIT: bytes, or a number with KiB, MiB or GiB; the collector runs more often as the heap nears it (0: none); GOMEMLIMIT in the environment sets the default")
}

// apply sets the runtime: the flags' values, unless a flag was not given and Go's own
// variable was, which the runtime read at start.
func (m memoryConfig) apply(lookupEnv func(string) (string, bool)) {
	if _, env := lookupEnv("GOGC"); m.gcPercent.set || !env {
		debug.SetGCPercent(m.gcPercent.value)
	}
	if _, env := lookupEnv("GOMEMLIMIT"); m.limit.set || !env {
		if m.limit.bytes > 0 {
			debug.SetMemoryLimit(m.limit.bytes)
		}
	}
}

// gcPercentFlag is -gc-percent: an integer >= -1, remembering whether it was given.
type gcPercentFlag struct {
	value int
	set   bool
}

func (f *gcPercentFlag) String() string {
	if f == nil {
		return strconv.Itoa(defaultGCPercent)
	}
	return strconv.Itoa(f.value)
}

func (f *gcPercentFlag) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil || v < -1 {
		return errors.New("want an integer percent, or -1 for off")
	}
	f.value, f.set = v, true
	return nil
}

// byteSizeFlag is -memory-limit: bytes, plain or with a binary unit (KiB, MiB, GiB,
// TiB, the units GOMEMLIMIT takes), remembering whether it was given.
type byteSizeFlag struct {
	bytes int64
	set   bool
}

func (f *byteSizeFlag) String() string {
	if f == nil {
		return "0"
	}
	return strconv.FormatInt(f.bytes, 10)
}

func (f *byteSizeFlag) Set(s string) error {
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}
	num, shift := s, uint(0)
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, shift = n, u.shift
			break
		}
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v < 0 || v > (1<<63-1)>>shift {
		return fmt.Errorf("want bytes, or a whole number of KiB, MiB, GiB or TiB (%q)", s)
	}
	f.bytes, f.set = v<<shift, true
	return nil
}
