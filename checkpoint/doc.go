// Package checkpoint writes a store's state to disk and reads it back.
//
// A checkpoint is one file, written whole to a temporary name, fsynced, renamed into
// place and made durable with an fsync of the directory, so a crash leaves either the old
// file or the new one, never a torn one. The format is versioned and checksummed; a file
// that is truncated or corrupt is detected and skipped in favour of the previous good one,
// which is why the newest two are kept.
//
// Layout, integers little-endian. Version 2 (written):
//
//	magic     8 bytes "ONEMRCCK"
//	version   uint16 (2)
//	reserved  uint16 (0)
//	seed      2 x uint64
//	position  uint64  the write-ahead log position this snapshot covers: replay starts there
//	total     uint64  events counted
//	scale     int32   the sum is mant * 10^scale, decimal.MinScale <= scale <= decimal.MaxScale
//	sign      int8    -1, 0 or 1; 0 exactly when mantLen is 0
//	mantLen   uint32  bytes of |mant|, big-endian, no leading zero byte, at most maxMantBytes
//	mant      mantLen bytes
//	keys      users x 16 bytes (two uint64 lanes), strictly ascending by lane a then b
//	users     uint64  number of keys, at most total; also fixed by the file's size
//	crc       uint32  CRC-32C (Castagnoli) of every byte above
//
// The key count follows the keys so that a compaction can merge sorted runs straight
// into the file without counting them first; the reader still knows it before reading a
// key, from the file's size. Sorted keys let a compaction merge instead of building a set,
// and make a duplicate key (which no store writes) detectable as it streams by.
//
// Version 1 (read only; its position is 0): no position field, users (uint64) before the
// keys, keys in any order.
//
// Never trust what is read back: a Reader accepts only what a Writer can write for a
// State that a store produced (the bounds above), and checks every length and count
// before it allocates or computes anything with it. A file outside them did not come
// from onemrcd (or was corrupted in a way the checksum missed), and is skipped loudly.
package checkpoint
