// Package decimal is onemrc's one exact-decimal type: Decimal, the number
// mant × 10^scale with an arbitrary-precision mant. It carries every exact sum
// that leaves the store's 128-bit fast path: the store's slow sum, a State and a
// Snapshot's sum, a checkpoint's and a log record's, and a cluster node's totals
// in Redis.
//
// # Why decimal, not float or rational
//
// Event values are decimal text (RFC 8259 §6). Adding them as mant × 10^scale
// at the smallest scale seen is integer addition: exact and associative, so a
// sum does not depend on how events were spread over loops, nodes or time.
// Rounding to float64 happens once, by the store, when /stats is written.
//
// # Invariants
//
//   - Add and AddScaled are exact; the result's scale is the least of the
//     operands' (a zero operand adds nothing and sets no scale).
//   - A Decimal is a value like big.Int: copy it with Set, never by
//     assignment (a shallow copy shares the mantissa's words).
//   - Bounds (MinScale, MaxScale, MaxMantBits) hold for every sum of fewer
//     than 2^64 values the event decoder accepts. Anything read back from a
//     file or from Redis is checked against them (Check, Parse) before
//     arithmetic whose cost grows with |scale| (10^|scale|) is done on it.
//
// Everything here allocates: it is the cold path. The hot path sums whole
// nanounits in the store's int128 and never reaches this package.
package decimal
