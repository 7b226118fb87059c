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
// The user keys are keyed hashes: every node must hash with the same seed, agreed through
// Redis when a node joins.
package cluster
