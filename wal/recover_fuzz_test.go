package wal

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Whatever bytes the last segment holds after its header, Recover starts (no error, no
// panic), restores a state no bigger than what valid frames carry, and leaves a
// directory the writer opens in and a second Recover reads without cutting anything.
func FuzzRecoverSegment(f *testing.F) {
	w := newWorkload(f, 40, 10, 12)
	var all []byte
	for _, fr := range w.frames {
		all = append(all, fr...)
	}
	f.Add(all)
	f.Add(all[:len(all)-3])
	f.Add([]byte{})
	f.Add(make([]byte, 40))
	seed := w.orig.Seed()
	f.Fuzz(func(t *testing.T, body []byte) {
		dir := t.TempDir()
		content := append(appendSegHeader(nil, segHeader{seed: seed, start: 0}), body...)
		require.NoError(t, os.WriteFile(filepath.Join(dir, segName(0)), content, 0o644))
		s, rc, err := Recover(dir, nil)
		require.NoError(t, err)
		require.LessOrEqual(t, rc.Position, uint64(len(body)))
		require.Equal(t, seed, s.Seed())
		l, err := Open(dir, seed, rc.Position, Options{})
		require.NoError(t, err)
		require.NoError(t, l.Close())
		s2, rc2, err := Recover(dir, nil)
		require.NoError(t, err)
		require.Zero(t, rc2.BytesCut)
		require.Equal(t, stateOf(s), stateOf(s2))
	})
}
