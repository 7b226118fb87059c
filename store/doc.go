// Package store counts decoded events (package event) exactly across event
// loops, then formats the GET /stats body.
//
// # Counting
//
// Each event loop owns a Shard and calls Record for every accepted event,
// then Publish once per batch before writing the batch's responses. Record
// touches only the shard's own memory, except on the first sighting of a
// user on that loop, which asks a process-wide set of user keys (256
// mutex-guarded parts). Store.Snapshot merges the published state of every
// shard on the cold path, and AppendStats writes it as JSON.
//
// # Exactness
//
// Sums never use floating point until the very end. Values the decoder (package
// event) marks Small are whole nanounits (1e-9) and are added as 128-bit integers; other
// values go to an exact decimal.Decimal (math/big) on a rare path.
// Integer addition is associative, so a Snapshot does not depend on how many
// loops there are, which loop saw which event, or in what order. Sum and Avg
// round the exact result once to the nearest float64.
//
// The slow sum is one per Store, behind one mutex that only batches with
// non-Small values take. /stats reads an immutable copy of it that is
// converted to binary (the step whose cost grows with the sum's decimal
// scale) once per change of the slow sum, so a /stats after slow values costs
// integer arithmetic on numbers of at most a few thousand bits, or nothing
// when it repeats the previous answer.
//
// Users are counted by a 128-bit hash of the unescaped user id, keyed by a
// per-store seed (Options.Seed) so that clients cannot craft collisions.
// No user id is kept: every set holds only pointer-free 16-byte keys, which
// the garbage collector never scans. The sets pick a key's slot with a mix
// keyed by a per-process secret, not by the seed, which checkpoints and Redis
// hold: restored keys are chosen by whoever wrote them.
//
// # Memory per user
//
// A key costs 16 bytes per table slot, at a load factor between 8/15 and
// 4/5 (tables grow by half, not by doubling): 20 to 30 bytes per user in the
// global set (21.7 at 10M users), in 256 tables, one per part, so a growth
// copies 1/256 of the set at a time. A loop that does not log keeps no set
// of its own: it searches the global set without a lock (globalPart.has) and
// takes a part's mutex only for a user new to that search. A loop that logs
// (-data-dir) keeps a local set too, up to Options.LocalSetCap keys (at most
// 20 MiB per loop at the default cap of 2^20), since its log records must
// name every user it answered for.
//
// # Visibility
//
// Publish writes the shard's totals through a seqlock; Snapshot reads every
// shard's last complete Publish. An event recorded before a Publish that
// returned before Snapshot started is always included, so a client that got
// its 200 sees its event in any /stats it asks for afterwards.
package store
