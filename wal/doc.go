// Package wal is onemrcd's write-ahead log: the records that make an acknowledged
// event survive a crash, the replay that rebuilds the store from them at startup, and
// the compactor that folds them into snapshots in the background.
//
// # Files (all in -data-dir)
//
//	wal-<20-digit position>.log    segments: a header, then frames (segment.go)
//	onemrc-<20-digit seq>.ckpt     snapshots, package checkpoint version 2 (or 1, read only)
//	.onemrc-<digits>.tmp           a snapshot being written; a crash leaves it, Recover removes it
//	wal-<...>.log.corrupt[.N]      segments replay must never read again; kept for inspection
//
// # Positions
//
// A log position (LSN) is a byte offset over the frames of every segment, headers not
// counted: a segment is named for the position of its first record, which is where the
// segment before it ends. A snapshot holds the position it covers: replay starts there.
//
// # Format
//
// A segment header: magic "ONEMRCWL", version uint16 (1), reserved uint16, the store's
// hash seed (2 x uint64: user keys mean something only under it), the start position
// (uint64), CRC-32C of those 36 bytes. A frame: payload length (uint32, 1 to
// MaxRecordBytes), CRC-32C of the payload (uint32), the payload: one store log record
// (store.Shard.AppendLogRecord, decoded by store.DecodeLogRecord, which bounds every
// field). Integers are little-endian.
//
// # Invariants
//
//   - Records are deltas (a batch's count, exact sum and the user keys new to its loop).
//     Replaying every record after a snapshot's position exactly once, in position
//     order, onto that snapshot rebuilds the store; any prefix of the records, cut at a
//     record boundary, is a consistent state (a record holds its events' keys).
//   - One writer, one file: every loop's records go through Log.Write under one mutex,
//     so file order is commit order and one fdatasync covers every loop.
//   - A position is durable only after an fdatasync that started after the bytes were
//     written returned success. A failed write or fdatasync is never retried: the log
//     stops (every later Write and Commit returns the error), because the kernel may
//     have dropped the pages and a later fdatasync could falsely report success.
//   - A segment is closed (whole and fdatasynced) once the next exists; the compactor
//     folds only closed segments, and never the open one or the live store.
//   - A snapshot is written to a temporary file, fsynced, renamed, and the directory
//     fsynced, before anything it folds is deleted.
//   - Every segment and snapshot in the directory is under one seed; Recover refuses a
//     directory that mixes seeds (ErrSeedMismatch).
//
// # What a crash leaves, and what Recover does with it
//
//   - During a Write: a torn last frame (short, or with a bad checksum, or a payload
//     DecodeLogRecord refuses). Recover cuts the last segment at its last valid record
//     (truncate, fsync) and logs the bytes dropped. Those records were never
//     acknowledged under fsync-always (their fdatasync had not returned).
//   - During a segment roll: the new segment is empty or its header is torn. It holds
//     nothing: Recover removes it, and Open creates it again.
//   - During a compaction, before the rename: a temporary snapshot file; removed.
//   - After the rename, before or while deleting the folded segments: segments wholly
//     below the newest snapshot's position; Recover deletes them without reading them.
//   - Before old snapshots are pruned: three or more snapshots; the next compaction
//     prunes them (the newest two are kept).
//
// # What no crash leaves, and what Recover does then
//
//   - A corrupt record or header before the last segment, or a segment that does not
//     start where the previous one ends: replay keeps the consistent prefix before it,
//     cuts that segment there and renames every later segment *.corrupt, loudly, so that
//     they are never replayed after the newer records the daemon will write.
//   - A newest snapshot that is corrupt: Load falls back to the older one; the segments
//     between the two were folded and deleted, so the log no longer continues it (a gap):
//     the segments after the gap are moved aside as above. Only disk corruption does
//     this; the records between the snapshots are lost, and the log says so.
//   - Snapshot files of which none is intact, with no log from position 0: Recover
//     returns an error naming the directory (move the files away to start empty).
//
// # Costs
//
// Per batch: one frame (a write(2) of the batch's delta: ~40 bytes plus 16 per new key)
// and, under fsync-always, a share of one fdatasync. A compaction reads the newest
// snapshot and the closed segments and writes a new snapshot; its memory holds the keys
// of the folded records, never the whole user set (a version 1 snapshot, whose keys are
// unsorted, is sorted in memory once). It runs when the closed segments reach half the
// snapshot's size or have waited an interval, so the bytes written per second follow the
// event rate, not the state's size; the directory holds two snapshots, at most about half
// a snapshot of closed segments, and the open segment.
package wal
