package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/onemrc/onemrc/store"
)

// A segment is a file wal-<start>.log, start being the log position of its first record
// in 20 zero-padded digits, so that names sort in log order. It begins with a header:
//
//	magic    8 bytes "ONEMRCWL"
//	version  uint16 (1)
//	reserved uint16 (0)
//	seed     2 x uint64  the store's hash seed: the records' user keys mean something only under it
//	start    uint64      the log position of the first record, equal to the name's
//	crc      uint32      CRC-32C of the 36 bytes above
//
// then frames to the end of the file. Positions count frame bytes only: a record at file
// offset o of segment s is at position s.start + o - segHeaderLen.
const (
	segMagic     = "ONEMRCWL"
	segVersion   = 1
	segHeaderLen = 8 + 2 + 2 + 16 + 8 + 4
	segPrefix    = "wal-"
	segSuffix    = ".log"
	segDigits    = 20
	// corruptSuffix is appended to the name of a segment replay must never read again.
	corruptSuffix = ".corrupt"
)

func segName(start uint64) string {
	return fmt.Sprintf("%s%0*d%s", segPrefix, segDigits, start, segSuffix)
}

// segHeader is a segment's header.
type segHeader struct {
	seed  [2]uint64
	start uint64
}

func appendSegHeader(dst []byte, h segHeader) []byte {
	n := len(dst)
	dst = append(dst, segMagic...)
	dst = binary.LittleEndian.AppendUint16(dst, segVersion)
	dst = binary.LittleEndian.AppendUint16(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, h.seed[0])
	dst = binary.LittleEndian.AppendUint64(dst, h.seed[1])
	dst = binary.LittleEndian.AppendUint64(dst, h.start)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[n:], castagnoli))
}

var errBadHeader = errors.New("wal: bad segment header")

func parseSegHeader(b []byte) (segHeader, error) {
	var h segHeader
	if len(b) < segHeaderLen {
		return h, fmt.Errorf("%w: %d bytes, want %d", errBadHeader, len(b), segHeaderLen)
	}
	if string(b[:8]) != segMagic {
		return h, fmt.Errorf("%w: not a log segment", errBadHeader)
	}
	if crc32.Checksum(b[:segHeaderLen-4], castagnoli) != binary.LittleEndian.Uint32(b[segHeaderLen-4:]) {
		return h, fmt.Errorf("%w: checksum mismatch", errBadHeader)
	}
	if v := binary.LittleEndian.Uint16(b[8:]); v != segVersion {
		return h, fmt.Errorf("%w: version %d, this onemrcd reads version %d", errBadHeader, v, segVersion)
	}
	if binary.LittleEndian.Uint16(b[10:]) != 0 {
		return h, fmt.Errorf("%w: reserved bytes set", errBadHeader)
	}
	h.seed = [2]uint64{binary.LittleEndian.Uint64(b[12:]), binary.LittleEndian.Uint64(b[20:])}
	h.start = binary.LittleEndian.Uint64(b[28:])
	if h.seed == ([2]uint64{}) {
		return h, fmt.Errorf("%w: zero seed", errBadHeader)
	}
	return h, nil
}

// segment is a segment file found in the data directory.
type segment struct {
	path  string
	start uint64 // from the name
	size  int64  // file bytes
}

// end is the position after the segment's last byte, by its size.
func (s segment) end() uint64 { return s.start + uint64(max(s.size-segHeaderLen, 0)) }

// listSegments returns the segments in dir in position order. Names that are not
// exactly segName's are ignored.
func listSegments(dir string) ([]segment, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var segs []segment
	for _, e := range entries {
		digits, ok := strings.CutPrefix(e.Name(), segPrefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		if digits, ok = strings.CutSuffix(digits, segSuffix); !ok || len(digits) != segDigits {
			continue
		}
		start, err := strconv.ParseUint(digits, 10, 64)
		if err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		segs = append(segs, segment{path: filepath.Join(dir, e.Name()), start: start, size: info.Size()})
	}
	slices.SortFunc(segs, func(a, b segment) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	return segs, nil
}

// scanned is what scanSegment found in one segment.
type scanned struct {
	hdr     segHeader
	hdrErr  error  // the header is unreadable: nothing else was read
	end     uint64 // the position after the last valid record
	valid   int64  // the file offset after the last valid record
	size    int64  // the file's size
	records int    // valid records
	applied int    // records passed to apply
	bad     error  // why reading stopped before the end of the file; nil at a clean end
}

// scanSegment reads the segment at path record by record, checking each frame (length,
// checksum) and payload (store.DecodeLogRecord), and passes every record at or after
// position from to apply. It stops at the first invalid record (s.bad), or at the first
// error of apply (also s.bad: a record apply refuses is as bad as a corrupt one). Only
// I/O errors come back as err.
func scanSegment(path string, from uint64, apply func(*store.LogRecord) error) (s scanned, err error) {
	f, err := os.Open(path)
	if err != nil {
		return s, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return s, err
	}
	s.size = info.Size()
	r := bufio.NewReaderSize(f, 1<<20)
	var hb [segHeaderLen]byte
	if n, err := io.ReadFull(r, hb[:]); err != nil && !isShort(err) {
		return s, err
	} else if s.hdr, s.hdrErr = parseSegHeader(hb[:n]); s.hdrErr != nil {
		return s, nil
	}
	s.end, s.valid = s.hdr.start, segHeaderLen
	var rec store.LogRecord
	var payload []byte
	var fh [frameHeader]byte
	for {
		n, err := io.ReadFull(r, fh[:])
		switch {
		case n == 0 && err == io.EOF:
			return s, nil
		case isShort(err):
			s.bad = fmt.Errorf("a frame header cut after %d bytes", n)
			return s, nil
		case err != nil:
			return s, err
		}
		length := binary.LittleEndian.Uint32(fh[:])
		sum := binary.LittleEndian.Uint32(fh[4:])
		if length == 0 || length > MaxRecordBytes {
			s.bad = fmt.Errorf("a frame of %d bytes, outside [1, %d]", length, MaxRecordBytes)
			return s, nil
		}
		if int64(length) > s.size-s.valid-frameHeader {
			s.bad = fmt.Errorf("a frame of %d bytes with %d bytes left in the file", length, s.size-s.valid-frameHeader)
			return s, nil
		}
		if cap(payload) < int(length) {
			payload = make([]byte, length)
		}
		payload = payload[:length]
		if _, err := io.ReadFull(r, payload); err != nil {
			if isShort(err) {
				s.bad = fmt.Errorf("a frame cut short")
				return s, nil
			}
			return s, err
		}
		if crc32.Checksum(payload, castagnoli) != sum {
			s.bad = fmt.Errorf("checksum mismatch in a frame of %d bytes", length)
			return s, nil
		}
		if err := store.DecodeLogRecord(payload, &rec); err != nil {
			s.bad = err
			return s, nil
		}
		next := s.end + frameHeader + uint64(length)
		if s.end < from && next > from {
			s.bad = fmt.Errorf("the snapshot's position %d falls inside the record at %d", from, s.end)
			return s, nil
		}
		if s.end >= from {
			if err := apply(&rec); err != nil {
				s.bad = err
				return s, nil
			}
			s.applied++
		}
		s.end = next
		s.valid += frameHeader + int64(length)
		s.records++
	}
}

func isShort(err error) bool { return err == io.ErrUnexpectedEOF || err == io.EOF }

// createSegment creates the segment that starts at start and makes its header and its
// directory entry durable.
func createSegment(dir string, seed [2]uint64, start uint64) (*os.File, error) {
	path := filepath.Join(dir, segName(start))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(appendSegHeader(nil, segHeader{seed: seed, start: start})); err != nil {
		f.Close()
		return nil, err
	}
	if err := fdatasync(f); err != nil {
		f.Close()
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
