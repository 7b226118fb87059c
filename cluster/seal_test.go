package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/internal/redistest"
)

func TestSealSeed(t *testing.T) {
	seed := [2]uint64{0x0123456789abcdef, 42}
	sealed := sealSeed(seed, "pw")
	require.True(t, strings.HasPrefix(sealed, sealedPrefix))
	assert.Equal(t, sealed, sealSeed(seed, "pw"), "deterministic: the join script compares texts")
	assert.NotEqual(t, sealed, sealSeed(seed, "other"))
	assert.NotContains(t, sealed, encodeSeed(seed)[:16], "no plain half of the seed")

	tests := []struct {
		name, text, password, previous string
		resealed                       bool
		err                            error
	}{
		{"hex without a password", encodeSeed(seed), "", "", false, nil},
		{"hex with a password: seal it", encodeSeed(seed), "pw", "", true, nil},
		{"sealed", sealed, "pw", "", false, nil},
		{"sealed under the previous password", sealed, "new", "pw", true, nil},
		{"sealed, no password", sealed, "", "", false, errSeedSealed},
		{"sealed under another", sealed, "new", "", false, errSeedOtherSealed},
		{"sealed under another, wrong previous", sealed, "new", "old", false, errSeedOtherSealed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, resealed, err := openSeed(tc.text, tc.password, tc.previous)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, seed, got)
			assert.Equal(t, tc.resealed, resealed)
		})
	}
	for _, bad := range []string{sealedPrefix + "zz", sealedPrefix + "00", sealedPrefix + strings.Repeat("0", 200), sealed[:len(sealed)-2]} {
		_, _, err := openSeed(bad, "pw", "")
		assert.Error(t, err, bad)
	}
}

// With a password, Redis never holds the seed in the clear; after a password change the
// first node given the previous one seals it anew, and the nodes after it need only the
// new one.
func TestSeedSealedInRedisAndResealedAfterAPasswordChange(t *testing.T) {
	r := redistest.Start(t, "--requirepass", "old")
	ctx := context.Background()
	seed := [2]uint64{7, 9}
	dial := func(password, previous string) (*Node, error) {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return Dial(cctx, Config{URL: r.URL(), Password: password, PreviousPassword: previous, NodeID: "n-" + password,
			FlushInterval: time.Hour, Keyed: true}, seed)
	}
	n, err := dial("old", "")
	require.NoError(t, err)
	require.NoError(t, n.Close(ctx))
	stored := r.Do("GET", keySeed)
	assert.True(t, strings.HasPrefix(stored, sealedPrefix), stored)
	assert.NotContains(t, stored, encodeSeed(seed))

	r.Do("CONFIG", "SET", "requirepass", "new")
	_, err = dial("new", "")
	require.ErrorIs(t, err, errSeedOtherSealed)
	n, err = dial("new", "old")
	require.NoError(t, err)
	assert.Equal(t, seed, n.Seed())
	require.NoError(t, n.Close(ctx))
	n, err = dial("new", "")
	require.NoError(t, err, "sealed under the new password now")
	require.NoError(t, n.Close(ctx))
}
