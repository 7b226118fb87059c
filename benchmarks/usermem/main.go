// Command usermem measures what the store's user set costs in memory: it records n
// distinct users through the store, one event each, from one goroutine per event loop
// (as the daemon's loops do), then takes a full garbage collection, returns the freed
// memory to the kernel and prints the process's resident set per user.
//
//	go run ./benchmarks/usermem                 # 10,000,000 users over 2 loops
//	go run ./benchmarks/usermem -log            # loops that log (-data-dir): local sets too
//	go run ./benchmarks/usermem -users 1000000 -loops 4
//
// The figure to read is "RSS after full GC / user": the whole process (runtime, binary
// pages, every table) divided by the users. "peak RSS" is the high-water mark during the
// fill: the tables being grown plus the garbage of the tables they replaced, which the
// collector frees at its own pace (GOGC, GOMEMLIMIT).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/onemrc/onemrc/benchmarks/internal/procstat"
	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/store"
)

func main() {
	users := flag.Int("users", 10_000_000, "distinct users, one event each")
	loops := flag.Int("loops", 2, "event loops, each recording into its own shard")
	logging := flag.Bool("log", false, "shards log as with -data-dir (each keeps a local set of the users it met)")
	flag.Parse()
	if *users < 1 || *loops < 1 {
		fmt.Fprintln(os.Stderr, "usermem: -users and -loops must be >= 1")
		os.Exit(2)
	}
	if err := run(*users, *loops, *logging); err != nil {
		fmt.Fprintln(os.Stderr, "usermem:", err)
		os.Exit(1)
	}
}

func run(users, loops int, logging bool) error {
	fullGC()
	before, err := procstat.Read(os.Getpid())
	if err != nil {
		return err
	}
	st := store.New(store.Options{})
	start := time.Now()
	var wg sync.WaitGroup
	for l := range loops {
		sh := st.NewShard()
		if logging {
			sh.EnableLog()
		}
		wg.Go(func() {
			id := make([]byte, 0, 32)
			for i := l; i < users; i += loops {
				id = strconv.AppendInt(append(id[:0], "user_"...), int64(i), 10)
				sh.Record(&event.Event{UserID: id, Value: event.Value{Nanos: 1e9, Small: true}})
				if logging && (i/loops)%1024 == 0 {
					sh.Publish()
					sh.AppendLogRecord(nil) // the log record takes the batch's keys, as the loop's writer does
				}
			}
			sh.Publish()
		})
	}
	wg.Wait()
	fill := time.Since(start)
	peak, err := procstat.Read(os.Getpid())
	if err != nil {
		return err
	}
	snap := st.Snapshot()
	if snap.UniqueUsers != uint64(users) || snap.TotalRequests != uint64(users) {
		return fmt.Errorf("store counts %d users in %d events, want %d in %d", snap.UniqueUsers, snap.TotalRequests, users, users)
	}
	gcStart := time.Now()
	fullGC()
	gcTime := time.Since(gcStart)
	after, err := procstat.Read(os.Getpid())
	if err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mib := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	perUser := func(b int64) string { return fmt.Sprintf("%.1f B", float64(b)/float64(users)) }
	fmt.Printf("usermem: %d users over %d loops (log %v), %s, GOGC=%s GOMEMLIMIT=%s\n",
		users, loops, logging, runtime.Version(), os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT"))
	fmt.Printf("  fill                          %v (%.0f ns/user)\n", fill.Round(time.Millisecond), float64(fill.Nanoseconds())/float64(users))
	fmt.Printf("  RSS before                    %s\n", mib(before.RSS))
	fmt.Printf("  peak RSS during fill          %s  (%s / user)\n", mib(peak.PeakRSS), perUser(peak.PeakRSS))
	fmt.Printf("  RSS after full GC             %s\n", mib(after.RSS))
	fmt.Printf("  RSS after full GC / user      %s  (%s / user above the RSS before)\n", perUser(after.RSS), perUser(after.RSS-before.RSS))
	fmt.Printf("  Go heap in use after GC       %s  (%s / user)\n", mib(int64(ms.HeapInuse)), perUser(int64(ms.HeapInuse)))
	fmt.Printf("  full GC + FreeOSMemory        %v\n", gcTime.Round(time.Millisecond))
	runtime.KeepAlive(st)
	return nil
}

// fullGC collects everything unreachable and returns the freed pages to the kernel.
func fullGC() {
	runtime.GC()
	debug.FreeOSMemory()
}
