package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"github.com/onemrc/onemrc/decimal"
	"github.com/onemrc/onemrc/event"
)

// The write-ahead log keeps, per loop and batch, what the batch added: its event count,
// the exact sum of its values and the user keys its loop had not logged before. A record
// is a delta, so replaying every record once, in log order, on top of the snapshot the
// log continues rebuilds the store; a torn tail cut at a record boundary leaves a
// consistent prefix (a record holds its events' keys, so no counted event lacks its user).
//
// Why "new to the loop" and not "new to the process": a loop that finds a user already
// in the global set cannot know whether the loop that added it has logged it yet. If
// that loop crashed before writing its record, the key would be lost although this
// loop's event, with its acknowledgement, survives. So each loop logs the keys its own
// set has not seen (its first sighting, or every sighting past LocalSetCap): a key may
// be logged once per loop, never missing from a record that needs it.
//
// Payload layout (integers little-endian), framed and checksummed by package wal:
//
//	version  uint8  (1)
//	count    uint64 events in the batch, >= 1
//	nanos    2 x uint64  hi, lo: the batch's Small values, 1e-9 units, two's complement
//	scale    int32  the batch's other values sum to mant * 10^scale
//	sign     int8   -1, 0 or 1 (0: no other values; mantLen is then 0)
//	mantLen  uint16 bytes of |mant|, big-endian, no leading zero
//	mant     mantLen bytes
//	keys     uint32 number of user keys, at most count
//	key      keys x 2 x uint64

const logRecordVersion = 1

// logFixed is the size of a payload without its mantissa and keys.
const logFixed = 1 + 8 + 16 + 4 + 1 + 2 + 4

// maxLogMantBytes bounds the mantissa of one record: a batch's exact sum is a store sum.
const maxLogMantBytes = decimal.MaxMantBytes

// shardLog is what a logging shard has recorded and not yet put in a record.
type shardLog struct {
	keys     []userKey // new to this loop since the last record
	requests uint64    // Shard.requests at the last record
	nanos    int128    // Shard.nanos at the last record
	slow     decimal.Decimal
}

// EnableLog makes the shard keep what AppendLogRecord needs. Call it before the shard
// records anything.
func (sh *Shard) EnableLog() {
	if sh.log == nil {
		sh.log = &shardLog{requests: sh.requests, nanos: sh.nanos}
	}
}

// AppendLogRecord appends the payload of a record of everything recorded since the
// previous record (after a Publish, which moves the batch's non-Small values where the
// record finds them) and reports whether there was anything. Owner only. It allocates
// only for non-Small values, and when the key list outgrows its capacity.
func (sh *Shard) AppendLogRecord(dst []byte) ([]byte, bool) {
	l := sh.log
	if l == nil || sh.requests == l.requests {
		return dst, false
	}
	if sh.hasSlow {
		panic("BUG: store: AppendLogRecord before Publish")
	}
	var delta int128
	var borrow uint64
	delta.lo, borrow = bits.Sub64(sh.nanos.lo, l.nanos.lo, 0)
	delta.hi, _ = bits.Sub64(sh.nanos.hi, l.nanos.hi, borrow)

	dst = append(dst, logRecordVersion)
	dst = binary.LittleEndian.AppendUint64(dst, sh.requests-l.requests)
	dst = binary.LittleEndian.AppendUint64(dst, delta.hi)
	dst = binary.LittleEndian.AppendUint64(dst, delta.lo)
	var mant []byte
	if !l.slow.IsZero() {
		mant = l.slow.Mant().Bytes()
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(int32(l.slow.Scale())))
	dst = append(dst, byte(int8(l.slow.Sign())))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(mant)))
	dst = append(dst, mant...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(l.keys)))
	for _, k := range l.keys {
		dst = binary.LittleEndian.AppendUint64(dst, k.a)
		dst = binary.LittleEndian.AppendUint64(dst, k.b)
	}

	l.requests, l.nanos = sh.requests, sh.nanos
	l.slow = decimal.Decimal{}
	if cap(l.keys) > 1<<16 {
		l.keys = nil // one huge batch does not pin its key list
	} else {
		l.keys = l.keys[:0]
	}
	return dst, true
}

// LogRecord is one decoded record. Keys and Slow are reused by the next decode into
// the same LogRecord: copy to keep.
type LogRecord struct {
	Count   uint64
	NanosHi uint64 // with NanosLo: the Small values' sum in 1e-9 units, two's complement
	NanosLo uint64
	Slow    decimal.Decimal // the exact sum of the other values (0, at scale 0: none)
	Keys    [][2]uint64
}

// ErrBadLogRecord means a payload is not one AppendLogRecord can write.
var ErrBadLogRecord = errors.New("store: bad log record")

// DecodeLogRecord reads a payload, bounding every field by what AppendLogRecord writes.
func DecodeLogRecord(p []byte, rec *LogRecord) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadLogRecord, fmt.Sprintf(format, args...))
	}
	if len(p) < logFixed {
		return bad("%d bytes, shorter than the fixed %d", len(p), logFixed)
	}
	if p[0] != logRecordVersion {
		return bad("version %d, want %d", p[0], logRecordVersion)
	}
	rec.Count = binary.LittleEndian.Uint64(p[1:])
	rec.NanosHi = binary.LittleEndian.Uint64(p[9:])
	rec.NanosLo = binary.LittleEndian.Uint64(p[17:])
	scale := int(int32(binary.LittleEndian.Uint32(p[25:])))
	sign := int8(p[29])
	mantLen := int(binary.LittleEndian.Uint16(p[30:]))
	if rec.Count == 0 {
		return bad("no events")
	}
	switch {
	case sign < -1 || sign > 1:
		return bad("sign %d", sign)
	case (sign == 0) != (mantLen == 0):
		return bad("sign %d with a %d-byte mantissa", sign, mantLen)
	case mantLen > maxLogMantBytes:
		return bad("mantissa of %d bytes, more than %d", mantLen, maxLogMantBytes)
	case len(p) < logFixed+mantLen:
		return bad("mantissa of %d bytes in a %d-byte record", mantLen, len(p))
	}
	mant := p[32 : 32+mantLen]
	if mantLen > 0 && mant[0] == 0 {
		return bad("mantissa with a leading zero byte")
	}
	if sign == 0 {
		scale = 0 // a zero sum has no scale to check
	}
	if err := rec.Slow.SetBinary(int(sign), mant, scale).Check(); err != nil {
		return bad("%v", err)
	}
	rest := p[32+mantLen:]
	nkeys := uint64(binary.LittleEndian.Uint32(rest))
	rest = rest[4:]
	switch {
	case nkeys > rec.Count:
		return bad("%d keys for %d events", nkeys, rec.Count)
	case uint64(len(rest)) != nkeys*16:
		return bad("%d bytes for %d keys", len(rest), nkeys)
	}
	rec.Keys = rec.Keys[:0]
	for i := 0; i < len(rest); i += 16 {
		rec.Keys = append(rec.Keys, [2]uint64{binary.LittleEndian.Uint64(rest[i:]), binary.LittleEndian.Uint64(rest[i+8:])})
	}
	return nil
}

// Apply adds a replayed record to a store before any loop records into it: its totals go
// to the store's base shard (the one Restore fills), its keys to the user set.
func (s *Store) Apply(rec *LogRecord) error {
	base := s.baseShard()
	if base.requests+rec.Count < base.requests {
		return fmt.Errorf("%w: the event count overflows", ErrBadLogRecord)
	}
	for _, k := range rec.Keys {
		s.users.add(userKey{a: k[0], b: k[1]}) // a key logged by two loops is one user
	}
	base.requests += rec.Count
	base.nanos.add(int128{hi: rec.NanosHi, lo: rec.NanosLo})
	if !rec.Slow.IsZero() {
		s.slowMu.Lock()
		s.slowSeq.Add(1)
		s.slow.Add(&rec.Slow)
		s.slowSeq.Add(1)
		s.slowMu.Unlock()
	}
	base.storeTotals()
	return nil
}

// baseShard is the shard that holds restored and replayed totals; no loop records into it.
func (s *Store) baseShard() *Shard {
	if s.base == nil {
		s.base = s.NewShard()
	}
	return s.base
}

// Apply adds a record to a State (the compactor's fold): totals exactly, keys appended
// as they come (the caller removes duplicates).
func (st *State) Apply(rec *LogRecord) error {
	if st.TotalRequests+rec.Count < st.TotalRequests {
		return fmt.Errorf("%w: the event count overflows", ErrBadLogRecord)
	}
	d := new(decimal.Decimal)
	if st.Sum != nil {
		d.Set(st.Sum)
	}
	d.AddScaled(int128{hi: rec.NanosHi, lo: rec.NanosLo}.bigInt(), -event.NanoDigits)
	d.Add(&rec.Slow)
	if err := d.Check(); err != nil {
		return fmt.Errorf("%w: %v", ErrBadLogRecord, err)
	}
	st.TotalRequests += rec.Count
	st.Sum = d
	st.Users = append(st.Users, rec.Keys...)
	return nil
}
