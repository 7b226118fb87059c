// Package hist is a log-linear (HDR-style) histogram of non-negative int64
// values, used by the load client to report latency percentiles.
//
// Layout: values below 2*subBuckets are counted exactly, one slot each.
// Above that, every power-of-two range [2^k, 2^(k+1)) is split into
// subBuckets equal slots, so a slot's width is at most 1/subBuckets of the
// values it holds. Reporting the midpoint of a slot therefore puts any
// recorded value within 1/(2*subBuckets) = 0.39% of its true value.
//
// Record is O(1), allocates nothing and is not safe for concurrent use: give
// every worker its own Histogram and Merge them on the cold path.
package hist
