package checkpoint

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"slices"

	"github.com/onemrc/onemrc/decimal"
	"github.com/onemrc/onemrc/store"
)

const (
	magic     = "ONEMRCCK"
	version1  = 1
	version   = 2 // the version Writer writes
	fixedV1   = 8 + 2 + 2 + 16 + 8 + 4 + 1 + 4
	fixedV2   = fixedV1 + 8 // + position
	trailerV1 = 8 + 4       // users before the keys, crc
	trailerV2 = 8 + 4       // users after the keys, crc
	// maxMantBytes is the longest |mant| a store's sum can need.
	maxMantBytes = decimal.MaxMantBytes
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Meta is everything a checkpoint holds but its keys.
type Meta struct {
	Version       int    // of the file read; a Writer writes version 2
	Position      uint64 // the log position the checkpoint covers (0 for version 1)
	Seed          [2]uint64
	TotalRequests uint64
	Sum           *decimal.Decimal // nil or zero: no sum
	Users         uint64           // the number of keys (read); a Writer counts them itself
}

// MetaOf returns the Meta of st at log position pos.
func MetaOf(st store.State, pos uint64) Meta {
	return Meta{Version: version, Position: pos, Seed: st.Seed, TotalRequests: st.TotalRequests,
		Sum: st.Sum, Users: uint64(len(st.Users))}
}

// State returns m's totals as a State without users.
func (m Meta) State() store.State {
	return store.State{Seed: m.Seed, TotalRequests: m.TotalRequests, Sum: m.Sum}
}

// Writer streams a version 2 checkpoint: NewWriter writes the header, Add each key in
// strictly ascending order, Close the count and the checksum.
type Writer struct {
	bw    *bufio.Writer
	crc   hash.Hash32
	w     io.Writer
	total uint64
	n     uint64
	prev  [2]uint64
	err   error
	key   [16]byte // scratch: a local array would escape to the heap through bufio, once per key
}

// NewWriter writes the header of a checkpoint of m (Version and Users are ignored) to w.
func NewWriter(w io.Writer, m Meta) (*Writer, error) {
	// A State no store could produce is refused here rather than written and then
	// refused by the reader.
	if err := m.Sum.Check(); err != nil {
		return nil, fmt.Errorf("checkpoint: not writing an impossible state: %w", err)
	}
	if m.Seed == ([2]uint64{}) {
		return nil, errors.New("checkpoint: not writing an impossible state: zero seed")
	}
	cw := &Writer{crc: crc32.New(castagnoli), w: w, total: m.TotalRequests}
	cw.bw = bufio.NewWriterSize(io.MultiWriter(w, cw.crc), 1<<16)
	var hdr []byte
	hdr = append(hdr, magic...)
	hdr = binary.LittleEndian.AppendUint16(hdr, version)
	hdr = binary.LittleEndian.AppendUint16(hdr, 0)
	hdr = binary.LittleEndian.AppendUint64(hdr, m.Seed[0])
	hdr = binary.LittleEndian.AppendUint64(hdr, m.Seed[1])
	hdr = binary.LittleEndian.AppendUint64(hdr, m.Position)
	hdr = appendTotals(hdr, m)
	if _, err := cw.bw.Write(hdr); err != nil {
		return nil, err
	}
	return cw, nil
}

func appendTotals(hdr []byte, m Meta) []byte {
	var mant []byte
	sign := int8(0)
	scale := 0
	if m.Sum != nil {
		mant = m.Sum.Mant().Bytes()
		sign = int8(m.Sum.Sign())
		scale = m.Sum.Scale()
	}
	hdr = binary.LittleEndian.AppendUint64(hdr, m.TotalRequests)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(int32(scale)))
	hdr = append(hdr, byte(sign))
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(mant)))
	return append(hdr, mant...)
}

// Add writes the next key. Keys must be strictly ascending (lane a, then b) and at most
// the header's total.
func (w *Writer) Add(k [2]uint64) error {
	if w.err != nil {
		return w.err
	}
	switch {
	case w.n > 0 && CompareKeys(k, w.prev) <= 0:
		w.err = fmt.Errorf("checkpoint: key %x after %x: keys must be strictly ascending", k, w.prev)
	case w.n == w.total:
		w.err = fmt.Errorf("checkpoint: not writing an impossible state: more users than %d events", w.total)
	}
	if w.err != nil {
		return w.err
	}
	binary.LittleEndian.PutUint64(w.key[:8], k[0])
	binary.LittleEndian.PutUint64(w.key[8:], k[1])
	if _, err := w.bw.Write(w.key[:]); err != nil {
		w.err = err
		return err
	}
	w.n++
	w.prev = k
	return nil
}

// Close writes the key count and the checksum. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], w.n)
	if _, err := w.bw.Write(n[:]); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	w.err = errors.New("checkpoint: Writer closed")
	return binary.Write(w.w, binary.LittleEndian, w.crc.Sum32())
}

// CompareKeys orders keys by lane a, then lane b: the order of a snapshot's keys.
func CompareKeys(x, y [2]uint64) int {
	switch {
	case x[0] < y[0]:
		return -1
	case x[0] > y[0]:
		return 1
	case x[1] < y[1]:
		return -1
	case x[1] > y[1]:
		return 1
	}
	return 0
}

// SortKeys sorts keys in the order a checkpoint holds them.
func SortKeys(keys [][2]uint64) { slices.SortFunc(keys, CompareKeys) }

// Encode writes st to w as a version 2 checkpoint at log position 0. It sorts st.Users
// in place.
func Encode(w io.Writer, st store.State) error { return EncodeAt(w, st, 0) }

// EncodeAt writes st to w as a version 2 checkpoint covering the log up to pos. It sorts
// st.Users in place.
func EncodeAt(w io.Writer, st store.State, pos uint64) error {
	if uint64(len(st.Users)) > st.TotalRequests {
		return fmt.Errorf("checkpoint: not writing an impossible state: %d users in %d events", len(st.Users), st.TotalRequests)
	}
	cw, err := NewWriter(w, MetaOf(st, pos))
	if err != nil {
		return err
	}
	SortKeys(st.Users)
	for _, k := range st.Users {
		if err := cw.Add(k); err != nil {
			return err
		}
	}
	return cw.Close()
}

// ErrCorrupt means a file is not a whole, intact checkpoint.
var ErrCorrupt = errors.New("checkpoint: corrupt or truncated")

// Reader streams the keys of a checkpoint after NewReader has read and bounded its
// header (Meta). Next returns the keys; Err, after Next reported the end, says whether
// the file was whole and intact. Nothing read is trustworthy until Err returns nil.
type Reader struct {
	Meta Meta

	raw  *bufio.Reader
	br   io.Reader // checksums exactly the bytes consumed; the trailer is read from raw
	crc  hash.Hash32
	left uint64
	prev [2]uint64
	err  error
	done bool
	key  [16]byte // scratch, as in Writer
}

// NewReader reads the header of a checkpoint of exactly size bytes from r.
func NewReader(r io.Reader, size int64) (*Reader, error) {
	cr := &Reader{crc: crc32.New(castagnoli), raw: bufio.NewReaderSize(r, 1<<16)}
	cr.br = io.TeeReader(cr.raw, cr.crc)
	m := &cr.Meta
	var fixed [fixedV2]byte
	if _, err := io.ReadFull(cr.br, fixed[:12]); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	if string(fixed[:8]) != magic {
		return nil, fmt.Errorf("%w: not a checkpoint file", ErrCorrupt)
	}
	m.Version = int(binary.LittleEndian.Uint16(fixed[8:]))
	n := fixedV2
	switch m.Version {
	case version1:
		n = fixedV1
	case version:
	default:
		return nil, fmt.Errorf("checkpoint: version %d, this onemrcd reads versions %d and %d", m.Version, version1, version)
	}
	if _, err := io.ReadFull(cr.br, fixed[12:n]); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	m.Seed = [2]uint64{binary.LittleEndian.Uint64(fixed[12:]), binary.LittleEndian.Uint64(fixed[20:])}
	p := fixed[28:n]
	if m.Version == version {
		m.Position = binary.LittleEndian.Uint64(p)
		p = p[8:]
	}
	m.TotalRequests = binary.LittleEndian.Uint64(p)
	scale := int(int32(binary.LittleEndian.Uint32(p[8:])))
	sign := int8(p[12])
	mantLen := binary.LittleEndian.Uint32(p[13:])
	// Every field is bounded by what a Writer writes for a store's State before it is
	// used: a scale of 2^31 would cost 10^(2^31) at the first /stats.
	if scale < decimal.MinScale || scale > decimal.MaxScale {
		return nil, fmt.Errorf("%w: scale %d outside the store's [%d, %d]", ErrCorrupt, scale, decimal.MinScale, decimal.MaxScale)
	}
	if sign < -1 || sign > 1 {
		return nil, fmt.Errorf("%w: sign %d is not -1, 0 or 1", ErrCorrupt, sign)
	}
	if mantLen > maxMantBytes {
		return nil, fmt.Errorf("%w: mantLen %d exceeds %d bytes", ErrCorrupt, mantLen, maxMantBytes)
	}
	if (sign == 0) != (mantLen == 0) {
		return nil, fmt.Errorf("%w: sign %d with mantLen %d", ErrCorrupt, sign, mantLen)
	}
	mant := make([]byte, mantLen)
	if _, err := io.ReadFull(cr.br, mant); err != nil {
		return nil, fmt.Errorf("%w: sum: %v", ErrCorrupt, err)
	}
	if mantLen > 0 && mant[0] == 0 {
		return nil, fmt.Errorf("%w: mant has a leading zero byte", ErrCorrupt)
	}
	m.Sum = new(decimal.Decimal).SetBinary(int(sign), mant, scale)
	if err := m.Sum.Check(); err != nil {
		return nil, fmt.Errorf("%w: mant: %v", ErrCorrupt, err)
	}
	// The key count is checked against the file's size before anything is allocated
	// for the keys.
	rest := size - int64(n) - int64(mantLen)
	if m.Version == version1 {
		var count [8]byte
		if _, err := io.ReadFull(cr.br, count[:]); err != nil {
			return nil, fmt.Errorf("%w: user count: %v", ErrCorrupt, err)
		}
		m.Users = binary.LittleEndian.Uint64(count[:])
		if m.Users > uint64(size) || rest-trailerV1 != int64(m.Users)*16 {
			return nil, fmt.Errorf("%w: %d users do not fit a %d-byte file", ErrCorrupt, m.Users, size)
		}
	} else {
		if rest < trailerV2 || (rest-trailerV2)%16 != 0 {
			return nil, fmt.Errorf("%w: a %d-byte file holds no whole number of users", ErrCorrupt, size)
		}
		m.Users = uint64(rest-trailerV2) / 16
	}
	if m.Users > m.TotalRequests {
		return nil, fmt.Errorf("%w: users %d exceeds total %d", ErrCorrupt, m.Users, m.TotalRequests)
	}
	cr.left = m.Users
	return cr, nil
}

// Next returns the next key; false at the end of the keys or at an error (see Err).
// Version 2 keys come strictly ascending (a key out of order is an error); version 1
// keys in any order.
func (r *Reader) Next() ([2]uint64, bool) {
	if r.err != nil || r.left == 0 {
		if r.err == nil && !r.done {
			r.finish()
		}
		return [2]uint64{}, false
	}
	if _, err := io.ReadFull(r.br, r.key[:]); err != nil {
		r.err = fmt.Errorf("%w: users: %v", ErrCorrupt, err)
		return [2]uint64{}, false
	}
	k := [2]uint64{binary.LittleEndian.Uint64(r.key[:8]), binary.LittleEndian.Uint64(r.key[8:])}
	if r.Meta.Version == version && r.left != r.Meta.Users && CompareKeys(k, r.prev) <= 0 {
		r.err = fmt.Errorf("%w: key %x after %x, not ascending", ErrCorrupt, k, r.prev)
		return [2]uint64{}, false
	}
	r.prev = k
	r.left--
	return k, true
}

// finish reads the trailer after the last key.
func (r *Reader) finish() {
	r.done = true
	if r.Meta.Version == version {
		var count [8]byte
		if _, err := io.ReadFull(r.br, count[:]); err != nil {
			r.err = fmt.Errorf("%w: user count: %v", ErrCorrupt, err)
			return
		}
		if n := binary.LittleEndian.Uint64(count[:]); n != r.Meta.Users {
			r.err = fmt.Errorf("%w: %d users counted, %d in the file", ErrCorrupt, n, r.Meta.Users)
			return
		}
	}
	want := r.crc.Sum32()
	var got [4]byte
	if _, err := io.ReadFull(r.raw, got[:]); err != nil {
		r.err = fmt.Errorf("%w: checksum: %v", ErrCorrupt, err)
		return
	}
	if binary.LittleEndian.Uint32(got[:]) != want {
		r.err = fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
}

// Err returns nil once every key was read and the file proved whole and intact.
func (r *Reader) Err() error {
	if r.err == nil && !r.done {
		return errors.New("checkpoint: Reader not read to the end")
	}
	return r.err
}

// Decode reads a whole checkpoint (version 1 or 2) of exactly size bytes from r.
func Decode(r io.Reader, size int64) (store.State, error) {
	st, _, err := DecodeMeta(r, size)
	return st, err
}

// DecodeMeta is Decode that also returns the file's Meta (its version and position).
func DecodeMeta(r io.Reader, size int64) (store.State, Meta, error) {
	cr, err := NewReader(r, size)
	if err != nil {
		return store.State{}, Meta{}, err
	}
	st := cr.Meta.State()
	st.Users = make([][2]uint64, 0, cr.Meta.Users)
	for k, ok := cr.Next(); ok; k, ok = cr.Next() {
		st.Users = append(st.Users, k)
	}
	if err := cr.Err(); err != nil {
		return store.State{}, Meta{}, err
	}
	return st, cr.Meta, nil
}
