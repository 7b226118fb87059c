// Package clock holds the daemon's two clocks: a coarse one that the event loops read on
// every batch for timeouts and publishing, advanced by gnet's ticker, and a fine one read
// twice per batch for request durations. Both count nanoseconds since process start.
//
// Invariants: both clocks only go forward; Coarse is never 0 (0 is the "no stamp" of the
// connections' timers); only the ticker advances Coarse, and every goroutine may load it.
package clock
