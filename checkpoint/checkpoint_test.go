package checkpoint

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/decimal"
	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/store"
)

func sampleState(users int) store.State {
	mant, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	st := store.State{Seed: [2]uint64{0x1234, 0xfeed}, TotalRequests: uint64(users) * 3, Sum: decimal.New(mant, -9)}
	for i := range users {
		st.Users = append(st.Users, [2]uint64{uint64(i) * 0x9e3779b97f4a7c15, uint64(i) + 1})
	}
	return st
}

func encode(t *testing.T, st store.State) []byte {
	var buf bytes.Buffer
	require.NoError(t, Encode(&buf, st))
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for _, users := range []int{0, 1, 1000} {
		for _, v1 := range []bool{false, true} {
			st := sampleState(users)
			slices.Reverse(st.Users) // descending: Encode sorts them
			var b []byte
			if v1 {
				b = encodeV1(st)
			} else {
				var buf bytes.Buffer
				require.NoError(t, EncodeAt(&buf, st, 12345))
				b = buf.Bytes()
			}
			got, m, err := DecodeMeta(bytes.NewReader(b), int64(len(b)))
			require.NoError(t, err)
			if v1 {
				assert.Equal(t, Meta{Version: 1, Seed: st.Seed, TotalRequests: st.TotalRequests, Sum: got.Sum, Users: uint64(users)}, m)
			} else {
				assert.Equal(t, uint64(12345), m.Position)
				assert.True(t, slices.IsSortedFunc(got.Users, CompareKeys))
			}
			assert.Equal(t, st.Seed, got.Seed)
			assert.Equal(t, st.TotalRequests, got.TotalRequests)
			assert.Equal(t, st.Sum.String(), got.Sum.String(), "the same mantissa and scale")
			assert.Equal(t, len(st.Users), len(got.Users))
			if users > 0 {
				assert.ElementsMatch(t, st.Users, got.Users)
			}
		}
	}
}

// Every truncation and every single flipped bit is detected.
func TestDetectsTruncationAndCorruption(t *testing.T) {
	for _, b := range [][]byte{encode(t, sampleState(20)), encodeV1(sampleState(20))} {
		detectsTruncationAndCorruption(t, b)
	}
}

func detectsTruncationAndCorruption(t *testing.T, b []byte) {
	for n := 0; n < len(b); n++ {
		_, err := Decode(bytes.NewReader(b[:n]), int64(n))
		require.Error(t, err, "truncated to %d bytes", n)
	}
	for i := range b {
		for bit := range 8 {
			c := bytes.Clone(b)
			c[i] ^= 1 << bit
			_, err := Decode(bytes.NewReader(c), int64(len(c)))
			require.Error(t, err, "bit %d of byte %d flipped", bit, i)
		}
	}
}

func TestLoadFallsBackToThePreviousGoodFile(t *testing.T) {
	dir := t.TempDir()
	_, _, _, err := Load(dir)
	require.ErrorIs(t, err, ErrNone)

	first := sampleState(5)
	_, err = Write(dir, first)
	require.NoError(t, err)
	second := sampleState(7)
	newest, err := Write(dir, second)
	require.NoError(t, err)

	st, path, skipped, err := Load(dir)
	require.NoError(t, err)
	assert.Equal(t, newest, path)
	assert.Empty(t, skipped)
	assert.Len(t, st.Users, 7)

	// Tear the newest: Load reports it and returns the one before.
	data, err := os.ReadFile(newest)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(newest, data[:len(data)/2], 0o644))
	st, path, skipped, err = Load(dir)
	require.NoError(t, err)
	assert.NotEqual(t, newest, path)
	require.Len(t, skipped, 1)
	assert.ErrorIs(t, skipped[0], ErrCorrupt)
	assert.Len(t, st.Users, 5)
}

func TestWriteKeepsTheNewestTwo(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		_, err := Write(dir, sampleState(i))
		require.NoError(t, err)
	}
	names, _, err := list(dir)
	require.NoError(t, err)
	require.Len(t, names, 2)
	assert.Equal(t, "onemrc-00000000000000000005.ckpt", filepath.Base(names[0]))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "no temporary files are left behind")
}

// A real store survives the trip through a file.
func TestStoreThroughFile(t *testing.T) {
	s := store.New(store.Options{})
	sh := s.NewShard()
	var d event.Decoder
	var ev event.Event
	for _, body := range []string{`{"userId":"a","value":1.5}`, `{"userId":"b","value":1e300}`, `{"userId":"a","value":-2}`} {
		require.NoError(t, d.Decode([]byte(body), &ev))
		sh.Record(&ev)
	}
	sh.Publish()
	dir := t.TempDir()
	_, err := Write(dir, s.State())
	require.NoError(t, err)
	st, _, _, err := Load(dir)
	require.NoError(t, err)
	r, err := store.Restore(st, store.Options{})
	require.NoError(t, err)
	want, got := s.Snapshot(), r.Snapshot()
	assert.Equal(t, want.TotalRequests, got.TotalRequests)
	assert.Equal(t, want.UniqueUsers, got.UniqueUsers)
	assert.Zero(t, want.SumRat().Cmp(got.SumRat()))
}

func FuzzDecode(f *testing.F) {
	var seed bytes.Buffer
	if err := Encode(&seed, sampleState(3)); err != nil {
		f.Fatal(err)
	}
	f.Add(seed.Bytes())
	f.Add([]byte(magic))
	// Checksummed files beyond the writer's bounds (a scale that once cost 10^(2^31)).
	f.Add(rawFile{total: 1, scale: math.MaxInt32, sign: 1, mant: []byte{1}}.bytes())
	f.Add(rawFile{total: 1, scale: -9, sign: 1, mant: []byte{0, 1}}.bytes())
	f.Add(encodeV1(sampleState(3)))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, m, err := DecodeMeta(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			// Whatever decodes re-encodes to the same bytes.
			if m.Version == version1 {
				assert.Equal(t, b, encodeV1(st))
				return
			}
			var buf bytes.Buffer
			require.NoError(t, EncodeAt(&buf, st, m.Position))
			assert.Equal(t, b, buf.Bytes())
		}
	})
}

// rawFile is a checkpoint's fields as written on disk, to build files Encode would
// never write, with a valid checksum.
type rawFile struct {
	total   uint64
	scale   int32
	sign    int8
	mant    []byte
	users   uint64
	mantLen *uint32 // when set, written instead of len(mant)
}

func (r rawFile) bytes() []byte {
	var b []byte
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint16(b, version1)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint64(b, 0x1234)
	b = binary.LittleEndian.AppendUint64(b, 0xfeed)
	b = binary.LittleEndian.AppendUint64(b, r.total)
	b = binary.LittleEndian.AppendUint32(b, uint32(r.scale))
	b = append(b, byte(r.sign))
	mantLen := uint32(len(r.mant))
	if r.mantLen != nil {
		mantLen = *r.mantLen
	}
	b = binary.LittleEndian.AppendUint32(b, mantLen)
	b = append(b, r.mant...)
	b = binary.LittleEndian.AppendUint64(b, r.users)
	for i := range r.users {
		b = binary.LittleEndian.AppendUint64(b, i+1)
		b = binary.LittleEndian.AppendUint64(b, i+1)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// Decode accepts only what Encode writes for a State a store can produce: every field
// beyond that is refused, with an error that names the field and the bound, before
// anything is computed with it, even when the checksum matches.
func TestDecodeRejectsFieldsBeyondTheWriter(t *testing.T) {
	tooWide := new(big.Int).Lsh(big.NewInt(1), decimal.MaxMantBits).Bytes() // 4122 bits
	longLen := uint32(1 << 30)
	tests := []struct {
		name string
		file rawFile
		want string
	}{
		{"scale far above", rawFile{total: 1, scale: math.MaxInt32, sign: 1, mant: []byte{1}}, "scale 2147483647 outside the store's [-911, 309]"},
		{"scale far below", rawFile{total: 1, scale: math.MinInt32, sign: 1, mant: []byte{1}}, "scale -2147483648 outside the store's [-911, 309]"},
		{"scale just above", rawFile{total: 1, scale: decimal.MaxScale + 1, sign: 1, mant: []byte{1}}, "scale 310 outside"},
		{"scale just below", rawFile{total: 1, scale: decimal.MinScale - 1, sign: -1, mant: []byte{1}}, "scale -912 outside"},
		{"scale of a zero sum", rawFile{total: 1, scale: 1 << 20}, "scale 1048576 outside"},
		{"sign", rawFile{total: 1, scale: -9, sign: 2, mant: []byte{1}}, "sign 2 is not -1, 0 or 1"},
		{"mantLen beyond the sum bound", rawFile{total: 1, scale: -9, sign: 1, mant: make([]byte, maxMantBytes+1)}, "mantLen 517 exceeds 516 bytes"},
		{"mantLen huge, bytes absent", rawFile{total: 1, scale: -9, sign: 1, mantLen: &longLen}, "mantLen 1073741824 exceeds 516 bytes"},
		{"mant bits beyond the sum bound", rawFile{total: 1, scale: -9, sign: 1, mant: tooWide}, "mant: sum mantissa of 4122 bits exceeds 4121"},
		{"mant with a leading zero", rawFile{total: 1, scale: -9, sign: 1, mant: []byte{0, 1}}, "leading zero byte"},
		{"sign of a zero mant", rawFile{total: 1, scale: -9, sign: 1}, "sign 1 with mantLen 0"},
		{"no sign for a mant", rawFile{total: 1, scale: -9, sign: 0, mant: []byte{1}}, "sign 0 with mantLen 1"},
		{"more users than events", rawFile{total: 2, scale: -9, sign: 1, mant: []byte{1}, users: 3}, "users 3 exceeds total 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.file.bytes()
			_, err := Decode(bytes.NewReader(b), int64(len(b)))
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// The bounds themselves are legal.
	for _, f := range []rawFile{
		{total: 1, scale: decimal.MaxScale, sign: -1, mant: []byte{1}},
		{total: 1, scale: decimal.MinScale, sign: 1, mant: new(big.Int).Lsh(big.NewInt(1), decimal.MaxMantBits-1).Bytes()},
		{total: 3, scale: 0, users: 3},
	} {
		b := f.bytes()
		_, err := Decode(bytes.NewReader(b), int64(len(b)))
		assert.NoError(t, err, "%+v", f)
	}
}

func TestEncodeRefusesAnImpossibleState(t *testing.T) {
	st := sampleState(3)
	st.Sum = decimal.New(st.Sum.Mant(), decimal.MaxScale+1)
	assert.ErrorContains(t, Encode(io.Discard, st), "sum scale 310 outside")
	st = sampleState(3)
	st.TotalRequests = 2
	assert.ErrorContains(t, Encode(io.Discard, st), "3 users in 2 events")
}

// A crash between Write's create and rename leaves a temporary file; opening the
// directory removes such files, and nothing else.
func TestRemoveStaleTemps(t *testing.T) {
	tests := []struct {
		name   string
		make   func(path string) error
		remove bool
	}{
		{".onemrc-1.tmp", writeFile, true},
		{".onemrc-4294967295.tmp", writeFile, true},
		{".onemrc-.tmp", writeFile, false},
		{".onemrc-12a.tmp", writeFile, false},
		{".onemrc-12345678901.tmp", writeFile, false}, // more digits than a uint32
		{".onemrc-123.tmp.bak", writeFile, false},
		{"onemrc-123.tmp", writeFile, false},
		{".onemrc-123.ckpt", writeFile, false},
		{"notes.txt", writeFile, false},
		{".onemrc-5.tmp", func(path string) error { return os.Mkdir(path, 0o755) }, false},
		{".onemrc-6.tmp", func(path string) error { return os.Symlink(os.DevNull, path) }, false},
	}
	dir := t.TempDir()
	_, err := Write(dir, sampleState(3))
	require.NoError(t, err)
	var want []string
	for _, tc := range tests {
		require.NoError(t, tc.make(filepath.Join(dir, tc.name)), tc.name)
		if tc.remove {
			want = append(want, filepath.Join(dir, tc.name))
		}
	}
	// The names Write itself uses are among those removed.
	for range 3 {
		f, err := os.CreateTemp(dir, tempPattern)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		require.True(t, isTempName(filepath.Base(f.Name())), f.Name())
		want = append(want, f.Name())
	}

	removed, err := RemoveStaleTemps(dir)
	require.NoError(t, err)
	assert.ElementsMatch(t, want, removed)
	for _, tc := range tests {
		_, err := os.Lstat(filepath.Join(dir, tc.name))
		assert.Equal(t, tc.remove, os.IsNotExist(err), "%s removed", tc.name)
	}
	st, _, skipped, err := Load(dir)
	require.NoError(t, err)
	assert.Empty(t, skipped)
	assert.Len(t, st.Users, 3, "the checkpoint is untouched")

	removed, err = RemoveStaleTemps(dir)
	require.NoError(t, err)
	assert.Empty(t, removed, "nothing left to remove")
	_, err = RemoveStaleTemps(filepath.Join(dir, "missing"))
	assert.Error(t, err)
}

func writeFile(path string) error { return os.WriteFile(path, []byte("partial"), 0o644) }

// encodeV1 writes st as version 1 did (the format of checkpoints onemrcd wrote before
// the log), keys in the order given.
func encodeV1(st store.State) []byte {
	var mant []byte
	sign := int8(0)
	scale := 0
	if st.Sum != nil {
		mant = st.Sum.Mant().Bytes()
		sign = int8(st.Sum.Sign())
		scale = st.Sum.Scale()
	}
	r := rawFile{total: st.TotalRequests, scale: int32(scale), sign: sign, mant: mant}
	b := r.bytes()
	b = b[:len(b)-4-8] // no users, no crc
	b[12], b[20] = 0, 0
	binary.LittleEndian.PutUint64(b[12:], st.Seed[0])
	binary.LittleEndian.PutUint64(b[20:], st.Seed[1])
	b = binary.LittleEndian.AppendUint64(b, uint64(len(st.Users)))
	for _, k := range st.Users {
		b = binary.LittleEndian.AppendUint64(b, k[0])
		b = binary.LittleEndian.AppendUint64(b, k[1])
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// Version 2 keys are strictly ascending: a writer refuses them out of order or
// repeated, and a reader refuses a file holding them so, even with a valid checksum.
func TestV2KeysAreStrictlyAscending(t *testing.T) {
	st := sampleState(3)
	for name, keys := range map[string][][2]uint64{
		"descending": {{2, 0}, {1, 0}},
		"repeated":   {{1, 5}, {1, 5}},
		"lane b":     {{1, 6}, {1, 5}},
	} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, MetaOf(st, 7))
		require.NoError(t, err)
		require.NoError(t, w.Add(keys[0]))
		assert.ErrorContains(t, w.Add(keys[1]), "strictly ascending", name)

		// The same file forged with a valid checksum.
		b := encode(t, store.State{Seed: st.Seed, TotalRequests: 5, Sum: new(decimal.Decimal), Users: [][2]uint64{{0, 1}, {0, 2}}})
		off := fixedV2
		for i, k := range keys {
			binary.LittleEndian.PutUint64(b[off+16*i:], k[0])
			binary.LittleEndian.PutUint64(b[off+16*i+8:], k[1])
		}
		binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], castagnoli))
		_, err = Decode(bytes.NewReader(b), int64(len(b)))
		require.ErrorIs(t, err, ErrCorrupt, name)
		assert.ErrorContains(t, err, "not ascending", name)
	}
}

// A v1 file (what onemrcd wrote before the log) is still read, at position 0, and the
// next write is version 2; the newest-two rule then removes it like any old checkpoint.
func TestV1IsReadAndReplaced(t *testing.T) {
	dir := t.TempDir()
	v1 := sampleState(4)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "onemrc-00000000000000000001.ckpt"), encodeV1(v1), 0o644))
	st, m, _, _, err := LoadNewest(dir)
	require.NoError(t, err)
	assert.Equal(t, 1, m.Version)
	assert.Zero(t, m.Position)
	assert.ElementsMatch(t, v1.Users, st.Users)
	for i := range 2 {
		_, err := WriteAt(dir, sampleState(5+i), uint64(100+i))
		require.NoError(t, err)
	}
	st, m, path, _, err := LoadNewest(dir)
	require.NoError(t, err)
	assert.Equal(t, Meta{Version: 2, Position: 101, Seed: st.Seed, TotalRequests: st.TotalRequests, Sum: st.Sum, Users: 6}, m)
	assert.Equal(t, "onemrc-00000000000000000003.ckpt", filepath.Base(path))
	_, err = os.Stat(filepath.Join(dir, "onemrc-00000000000000000001.ckpt"))
	assert.True(t, os.IsNotExist(err), "the v1 file is gone once two newer exist")
}
