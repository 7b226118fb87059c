package wal

import (
	"encoding/binary"
	"hash/crc32"
	"strconv"
)

// A frame is one record on disk:
//
//	length  uint32  payload bytes, 1 to MaxRecordBytes
//	crc     uint32  CRC-32C (Castagnoli) of the payload
//	payload length bytes (a store log record)
const frameHeader = 8

// MaxRecordBytes bounds a payload. A record holds one batch of one loop: its fixed
// fields, an exact sum of at most 516 mantissa bytes and 16 bytes per user new to the
// loop; a batch is what one OnTraffic read (gnet reads at most a few MiB per call), so
// 64 MiB is far above any record a loop writes, and far below what a corrupt length
// could make the reader allocate.
const MaxRecordBytes = 64 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// BeginRecord appends a frame header to dst, to be filled in by EndRecord, and returns
// its offset. Append the payload (store.Shard.AppendLogRecord) after it. It allocates
// only when dst lacks room for 8 bytes.
func BeginRecord(dst []byte) ([]byte, int) {
	start := len(dst)
	return append(dst, 0, 0, 0, 0, 0, 0, 0, 0), start
}

// EndRecord fills in the header BeginRecord put at start with the length and checksum
// of everything appended since. A payload that is empty or longer than MaxRecordBytes
// is a bug of the caller: it panics.
func EndRecord(dst []byte, start int) []byte {
	p := dst[start+frameHeader:]
	if len(p) == 0 || len(p) > MaxRecordBytes {
		panic("BUG: wal: a record payload of " + strconv.Itoa(len(p)) + " bytes")
	}
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(p)))
	binary.LittleEndian.PutUint32(dst[start+4:], crc32.Checksum(p, castagnoli))
	return dst
}

// CancelRecord removes a frame begun at start (when AppendLogRecord had nothing).
func CancelRecord(dst []byte, start int) []byte { return dst[:start] }

// countFrames checks that b is whole frames (lengths only; checksums are the writer's)
// and counts them.
func countFrames(b []byte) (int, bool) {
	n := 0
	for len(b) > 0 {
		if len(b) < frameHeader {
			return n, false
		}
		l := binary.LittleEndian.Uint32(b)
		if l == 0 || l > MaxRecordBytes || uint64(len(b)-frameHeader) < uint64(l) {
			return n, false
		}
		b = b[frameHeader+int(l):]
		n++
	}
	return n, true
}
