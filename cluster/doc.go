// Package cluster merges the stats of many onemrc daemons into one exact /stats, on Redis.
//
// Each node keeps counting on its own loops and, every flush interval, sends Redis one
// MULTI/EXEC transaction (one round trip): the user keys new to the node since its last
// acknowledged flush (SADD into one cluster-wide set: idempotent), and a Lua script that
// writes the node's cumulative totals (event count and exact sum) under its node id if
// the flush's sequence number is higher than the one stored (else the node goes past the
// stored one, and its next flush lands). Totals are cumulative, not deltas, so a retried
// or delayed flush can never count anything twice, and a flush that failed loses
// nothing: the next one carries everything since the last one that landed.
// The script answers with every node's totals and the set's cardinality, which the node
// caches for /stats.
//
// All keys share the hash tag {onemrc}, so the transaction works on Redis Cluster too.
// An epoch key detects a Redis that lost its data (a restart without persistence): the
// nodes then resend their whole user sets and totals.
//
// A node owns its id through a lease: the key {onemrc}:lease:<id>, holding a token random
// per process and a TTL of max(10 flush intervals, 5 s) (LeaseTTL). Dial takes it with
// SET NX PX; if another token holds it, Dial waits up to the TTL plus a second for it to
// expire (the lease a crashed run of the same daemon left) and then refuses: a live
// holder renews it, so a second daemon started under a live id fails to start instead of
// overwriting the first one's totals. Every flush renews the lease in the same scripts
// that write (the user set and the totals), which write nothing if another token holds
// it; a node that sees that has lost its id for good: it flushes no more, every Flush
// fails with ErrLeaseLost, and LeaseLost reports it. A lease that lapsed with nobody
// taking it (Redis unreachable for longer than the TTL, or emptied) is taken again by the
// next flush, with the same token: no other process held the id meanwhile. Close
// deletes the lease if its token is still the node's.
//
// The user keys are keyed hashes: every node must hash with the same seed, agreed through
// Redis when a node joins.
package cluster
