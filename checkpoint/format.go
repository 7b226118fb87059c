// Package checkpoint writes a store's state to disk and reads it back.
//
// A checkpoint is one file, written whole to a temporary name, fsynced, renamed into
// place and made durable with an fsync of the directory, so a crash leaves either the old
// file or the new one, never a torn one. The format is versioned and checksummed; a file
// that is truncated or corrupt is detected and skipped in favour of the previous good one,
// which is why the newest two are kept.
//
// Layout, integers little-endian (version 1):
//
//	magic     8 bytes "ONEMRCCK"
//	version   uint16
//	reserved  uint16 (0)
//	seed      2 x uint64
//	total     uint64  events counted
//	scale     int32   the sum is mant * 10^scale, store.MinSumScale <= scale <= store.MaxSumScale
//	sign      int8    -1, 0 or 1; 0 exactly when mantLen is 0
//	mantLen   uint32  bytes of |mant|, big-endian, no leading zero byte, at most maxMantBytes
//	mant      mantLen bytes
//	users     uint64  number of user keys, at most total
//	keys      users x 16 bytes (two uint64 lanes)
//	crc       uint32  CRC-32C (Castagnoli) of every byte above
//
// Never trust what is read back: Decode accepts only what Encode can write for a
// State that a store produced (the bounds above), and checks every length and count
// before it allocates or computes anything with it. A file outside them did not come
// from onemrcd (or was corrupted in a way the checksum missed), and is skipped loudly.
package checkpoint

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/big"

	"github.com/onemrc/onemrc/store"
)

const (
	magic   = "ONEMRCCK"
	version = 1
	// maxMantBytes is the longest |mant| a store's sum can need (store.MaxSumMantBits).
	maxMantBytes = (store.MaxSumMantBits + 7) / 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Encode writes st to w in the checkpoint format.
func Encode(w io.Writer, st store.State) error {
	crc := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<16)
	var mant []byte
	sign := int8(0)
	if st.SumMant != nil {
		mant = st.SumMant.Bytes()
		sign = int8(st.SumMant.Sign())
	}
	// A State no store could produce is refused here rather than written and then
	// refused by Decode.
	if err := store.CheckSum(st.SumMant, st.SumScale); err != nil {
		return fmt.Errorf("checkpoint: not writing an impossible state: %w", err)
	}
	if uint64(len(st.Users)) > st.TotalRequests {
		return fmt.Errorf("checkpoint: not writing an impossible state: %d users in %d events", len(st.Users), st.TotalRequests)
	}
	var hdr []byte
	hdr = append(hdr, magic...)
	hdr = binary.LittleEndian.AppendUint16(hdr, version)
	hdr = binary.LittleEndian.AppendUint16(hdr, 0)
	hdr = binary.LittleEndian.AppendUint64(hdr, st.Seed[0])
	hdr = binary.LittleEndian.AppendUint64(hdr, st.Seed[1])
	hdr = binary.LittleEndian.AppendUint64(hdr, st.TotalRequests)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(int32(st.SumScale)))
	hdr = append(hdr, byte(sign))
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(mant)))
	hdr = append(hdr, mant...)
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(len(st.Users)))
	if _, err := bw.Write(hdr); err != nil {
		return err
	}
	var key [16]byte
	for _, k := range st.Users {
		binary.LittleEndian.PutUint64(key[:8], k[0])
		binary.LittleEndian.PutUint64(key[8:], k[1])
		if _, err := bw.Write(key[:]); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return binary.Write(w, binary.LittleEndian, crc.Sum32())
}

// ErrCorrupt means a file is not a whole, intact checkpoint.
var ErrCorrupt = errors.New("checkpoint: corrupt or truncated")

// Decode reads a checkpoint of exactly size bytes from r.
func Decode(r io.Reader, size int64) (store.State, error) {
	var st store.State
	crc := crc32.New(castagnoli)
	raw := bufio.NewReaderSize(r, 1<<16)
	// br checksums exactly the bytes consumed; the trailer is read from raw.
	br := io.TeeReader(raw, crc)
	fixed := make([]byte, 8+2+2+16+8+4+1+4)
	if _, err := io.ReadFull(br, fixed); err != nil {
		return st, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	if string(fixed[:8]) != magic {
		return st, fmt.Errorf("%w: not a checkpoint file", ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint16(fixed[8:]); v != version {
		return st, fmt.Errorf("checkpoint: version %d, this onemrcd reads version %d", v, version)
	}
	st.Seed = [2]uint64{binary.LittleEndian.Uint64(fixed[12:]), binary.LittleEndian.Uint64(fixed[20:])}
	st.TotalRequests = binary.LittleEndian.Uint64(fixed[28:])
	st.SumScale = int(int32(binary.LittleEndian.Uint32(fixed[36:])))
	sign := int8(fixed[40])
	mantLen := binary.LittleEndian.Uint32(fixed[41:])
	// Every field is bounded by what Encode writes for a store's State before it is
	// used: a scale of 2^31 would cost 10^(2^31) at the first /stats.
	if st.SumScale < store.MinSumScale || st.SumScale > store.MaxSumScale {
		return st, fmt.Errorf("%w: scale %d outside the store's [%d, %d]", ErrCorrupt, st.SumScale, store.MinSumScale, store.MaxSumScale)
	}
	if sign < -1 || sign > 1 {
		return st, fmt.Errorf("%w: sign %d is not -1, 0 or 1", ErrCorrupt, sign)
	}
	if mantLen > maxMantBytes {
		return st, fmt.Errorf("%w: mantLen %d exceeds %d bytes", ErrCorrupt, mantLen, maxMantBytes)
	}
	if (sign == 0) != (mantLen == 0) {
		return st, fmt.Errorf("%w: sign %d with mantLen %d", ErrCorrupt, sign, mantLen)
	}
	mant := make([]byte, mantLen)
	if _, err := io.ReadFull(br, mant); err != nil {
		return st, fmt.Errorf("%w: sum: %v", ErrCorrupt, err)
	}
	if mantLen > 0 && mant[0] == 0 {
		return st, fmt.Errorf("%w: mant has a leading zero byte", ErrCorrupt)
	}
	st.SumMant = new(big.Int).SetBytes(mant)
	if sign < 0 {
		st.SumMant.Neg(st.SumMant)
	}
	if err := store.CheckSum(st.SumMant, st.SumScale); err != nil {
		return st, fmt.Errorf("%w: mant: %v", ErrCorrupt, err)
	}
	var count [8]byte
	if _, err := io.ReadFull(br, count[:]); err != nil {
		return st, fmt.Errorf("%w: user count: %v", ErrCorrupt, err)
	}
	users := binary.LittleEndian.Uint64(count[:])
	if users > st.TotalRequests {
		return st, fmt.Errorf("%w: users %d exceeds total %d", ErrCorrupt, users, st.TotalRequests)
	}
	// Sizes are checked before anything is allocated for them.
	fixedLen := int64(len(fixed)) + int64(mantLen) + 8 + 4
	if users > uint64(size) || fixedLen+int64(users)*16 != size {
		return st, fmt.Errorf("%w: %d users do not fit a %d-byte file", ErrCorrupt, users, size)
	}
	st.Users = make([][2]uint64, users)
	var key [16]byte
	for i := range st.Users {
		if _, err := io.ReadFull(br, key[:]); err != nil {
			return st, fmt.Errorf("%w: users: %v", ErrCorrupt, err)
		}
		st.Users[i] = [2]uint64{binary.LittleEndian.Uint64(key[:8]), binary.LittleEndian.Uint64(key[8:])}
	}
	want := crc.Sum32()
	var got [4]byte
	if _, err := io.ReadFull(raw, got[:]); err != nil {
		return st, fmt.Errorf("%w: checksum: %v", ErrCorrupt, err)
	}
	if binary.LittleEndian.Uint32(got[:]) != want {
		return st, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	return st, nil
}
