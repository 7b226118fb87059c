// Package restore decides what a daemon continues from when it starts: the
// snapshot and log of its data dir, the totals a cluster's Redis holds under its
// node id, or nothing. server/ only wires its answer in (flags, the cluster
// connection, the loops).
//
// # Policy
//
//   - The data dir's log is the authority on this node's past: every event the node
//     acknowledged is in it. Redis may hold a little more (a flush reads the published
//     counters, which can include events whose records were not written when the node
//     stopped: never acknowledged); the node keeps its log's totals and its next flush
//     brings Redis back to them.
//   - Without a data dir a cluster node continues from the totals Redis holds under its
//     id, so that a restart does not make the cluster's figures go back. Its users are
//     not restored: the cluster's user sets already hold them.
//   - A store that was restored keeps its user-hash seed: its keys mean nothing under
//     another. Joining a cluster under another seed is refused (ErrOtherSeed); a node
//     with nothing restored takes the cluster's seed.
//
// It sits between wal (the local state) and cluster (the remote one) so that
// neither knows of the other, and so that the policy is tested without Redis
// (Remote is an interface that *cluster.Node satisfies).
package restore
