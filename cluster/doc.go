// Package cluster merges the stats of many onemrc daemons into one exact /stats, on Redis
// (a single server, a Redis Cluster, or a master behind Sentinel: see parseURL).
//
// Each node keeps counting on its own loops and, every flush interval, sends Redis one
// pipelined round trip:
//
//   - Its cumulative totals (event count and exact sum) in a script on the {onemrc} slot,
//     written under its node id only if the node holds the id's lease and the flush's
//     sequence number is above the stored one. Totals are cumulative, not deltas, so a
//     retried or delayed flush never counts anything twice, and a failed one loses
//     nothing: the next one carries everything. Sequence numbers are the node's own
//     count, continued from the one Redis holds under the id (read at Dial): no clock is
//     involved, and they compare exactly (as text, length first). A flush refused as
//     stale is a failure; the node goes past the stored number and the next one lands.
//     The script answers every node's totals, which the node caches for /stats. A sum
//     is stored as the text of a decimal.Decimal (mantissa and scale) and read back
//     through decimal.Parse, which bounds it before any arithmetic.
//   - The users new since its last acknowledged flush, in scripts on the user set's 256
//     shards (users.go, userwrite.go): each checks the node's mark in the shard, so a shard that lost
//     any of the node's writes (Redis restarted from an older snapshot, a failover to a
//     lagging replica, an emptied Redis) is found at the next write or at the check of
//     every shard each second, and resent from the node's store in paced batches.
//
// A node owns its id through a lease: the key {onemrc}:lease:<id>, holding a token random
// per process and a TTL of max(10 flush intervals, 5 s) (LeaseTTL). Dial takes it with
// SET NX PX; if another token holds it, Dial waits up to the TTL plus a second for it to
// expire (the lease a crashed run of the same daemon left) and then refuses: a live
// holder renews it, so a second daemon started under a live id fails to start instead of
// overwriting the first one's totals. Every flush renews the lease in the totals script,
// which writes nothing if another token holds it; a node that sees that has lost its id
// for good: it flushes no more, every Flush fails with ErrLeaseLost, LeaseLost reports it
// and /health says "degraded". A lease that lapsed with nobody taking it (Redis
// unreachable for longer than the TTL, or emptied) is taken again by the next flush,
// with the same token: no other process held the id meanwhile. Close deletes the lease
// if its token is still the node's.
//
// The user keys are keyed hashes: every node must hash with the same seed, agreed through
// Redis when a node joins (join), and sealed there under the Redis password (seal.go). A
// seed proposed by a node without users is provisional for SeedGrace, so that the older
// nodes of a cluster whose Redis lost its data can put theirs back first. An epoch key
// detects an emptied Redis at the next flush: the node joins again and resends all.
package cluster
