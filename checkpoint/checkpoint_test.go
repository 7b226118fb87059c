package checkpoint

import (
	"bytes"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/store"
)

func sampleState(users int) store.State {
	st := store.State{Seed: [2]uint64{0x1234, 0xfeed}, TotalRequests: uint64(users) * 3, SumScale: -9}
	st.SumMant, _ = new(big.Int).SetString("-123456789012345678901234567890", 10)
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
		st := sampleState(users)
		b := encode(t, st)
		got, err := Decode(bytes.NewReader(b), int64(len(b)))
		require.NoError(t, err)
		assert.Equal(t, st.Seed, got.Seed)
		assert.Equal(t, st.TotalRequests, got.TotalRequests)
		assert.Equal(t, st.SumScale, got.SumScale)
		assert.Zero(t, st.SumMant.Cmp(got.SumMant))
		assert.Equal(t, len(st.Users), len(got.Users))
		if users > 0 {
			assert.Equal(t, st.Users, got.Users)
		}
	}
}

// Every truncation and every single flipped bit is detected.
func TestDetectsTruncationAndCorruption(t *testing.T) {
	b := encode(t, sampleState(20))
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
	var d store.Decoder
	var ev store.Event
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
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := Decode(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			// Whatever decodes re-encodes to the same bytes.
			assert.Equal(t, b, encode(t, st))
		}
	})
}
