package restore

import (
	"context"
	"errors"
	"log/slog"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/checkpoint"
	"github.com/onemrc/onemrc/cluster"
	"github.com/onemrc/onemrc/decimal"
	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/store"
)

// fakeRemote is a cluster as Join sees it.
type fakeRemote struct {
	seed   [2]uint64
	totals cluster.Totals
	ok     bool
	err    error
}

func (r fakeRemote) Seed() [2]uint64 { return r.seed }
func (r fakeRemote) StoredTotals(context.Context) (cluster.Totals, bool, error) {
	return r.totals, r.ok, r.err
}

var _ Remote = (*cluster.Node)(nil)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// counted returns a store under seed with one event per value, from distinct users.
func counted(t *testing.T, seed [2]uint64, values ...string) *store.Store {
	t.Helper()
	st := store.New(store.Options{Seed: seed})
	sh := st.NewShard()
	var d event.Decoder
	var ev event.Event
	for i, v := range values {
		require.NoError(t, d.Decode([]byte(`{"userId":"u`+string(rune('a'+i))+`","value":`+v+`}`), &ev))
		sh.Record(&ev)
	}
	sh.Publish()
	return st
}

func sum(t *testing.T, text string) *decimal.Decimal {
	t.Helper()
	d, err := new(decimal.Decimal).SetNumber([]byte(text))
	require.NoError(t, err)
	return d
}

func stats(st *store.Store) string {
	snap := st.Snapshot()
	return string(store.AppendStats(nil, &snap))
}

func TestFromDataDirWithoutOne(t *testing.T) {
	local, err := FromDataDir("", quiet())
	require.NoError(t, err)
	assert.False(t, local.Durable)
	assert.False(t, local.Restored())
	assert.NotZero(t, local.Store.Seed(), "a fresh store has a seed of its own")
}

func TestFromDataDirCreatesItAndRestores(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	local, err := FromDataDir(dir, quiet())
	require.NoError(t, err)
	assert.True(t, local.Durable)
	assert.False(t, local.Restored(), "an empty data dir restores nothing")

	orig := counted(t, [2]uint64{7, 8}, "1.5", "2")
	_, err = checkpoint.WriteAt(dir, orig.State(), 0)
	require.NoError(t, err)
	var logs strings.Builder
	local, err = FromDataDir(dir, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	assert.True(t, local.Restored())
	assert.Equal(t, orig.Seed(), local.Store.Seed())
	assert.Equal(t, stats(orig), stats(local.Store))
	assert.Contains(t, logs.String(), "msg=restored")
	assert.Contains(t, logs.String(), "totalRequests=2")
}

func TestJoin(t *testing.T) {
	cseed := [2]uint64{1, 2}
	tests := []struct {
		name   string
		local  func(t *testing.T) Local
		remote fakeRemote
		want   string // the joined store's /stats
		seed   [2]uint64
	}{
		{"fresh node takes the cluster's seed",
			func(t *testing.T) Local { return Local{Store: store.New(store.Options{})} },
			fakeRemote{seed: cseed},
			`{"totalRequests":0,"uniqueUsers":0,"sum":0,"avg":0}`, cseed},
		{"without a data dir, the cluster's totals for this node",
			func(t *testing.T) Local { return Local{Store: store.New(store.Options{})} },
			fakeRemote{seed: cseed, ok: true, totals: cluster.Totals{Count: 4, Sum: sum(t, "1e-12")}},
			`{"totalRequests":4,"uniqueUsers":0,"sum":1e-12,"avg":2.5e-13}`, cseed},
		{"the log wins over more in redis",
			func(t *testing.T) Local { return Local{Store: counted(t, cseed, "3"), Durable: true} },
			fakeRemote{seed: cseed, ok: true, totals: cluster.Totals{Count: 9, Sum: sum(t, "27")}},
			`{"totalRequests":1,"uniqueUsers":1,"sum":3,"avg":3}`, cseed},
		{"an empty log wins too",
			func(t *testing.T) Local { return Local{Store: store.New(store.Options{}), Durable: true} },
			fakeRemote{seed: cseed, ok: true, totals: cluster.Totals{Count: 9, Sum: sum(t, "27")}},
			`{"totalRequests":0,"uniqueUsers":0,"sum":0,"avg":0}`, cseed},
		{"redis behind the log",
			func(t *testing.T) Local { return Local{Store: counted(t, cseed, "3", "4"), Durable: true} },
			fakeRemote{seed: cseed, ok: true, totals: cluster.Totals{Count: 1, Sum: sum(t, "3")}},
			`{"totalRequests":2,"uniqueUsers":2,"sum":7,"avg":3.5}`, cseed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := Join(context.Background(), tc.local(t), tc.remote, "n1", quiet())
			require.NoError(t, err)
			assert.Equal(t, tc.want, stats(st))
			assert.Equal(t, tc.seed, st.Seed())
		})
	}
}

func TestJoinRefusesAnotherSeed(t *testing.T) {
	local := Local{Store: counted(t, [2]uint64{3, 4}, "1"), Durable: true}
	_, err := Join(context.Background(), local, fakeRemote{seed: [2]uint64{1, 2}}, "n1", quiet())
	assert.ErrorIs(t, err, ErrOtherSeed)
}

func TestJoinPassesOnRedisErrors(t *testing.T) {
	boom := errors.New("boom")
	_, err := Join(context.Background(), Local{Store: store.New(store.Options{})}, fakeRemote{seed: [2]uint64{1, 2}, err: boom}, "n1", quiet())
	assert.ErrorIs(t, err, boom)
}

func TestJoinRefusesImpossibleTotals(t *testing.T) {
	wide := decimal.New(new(big.Int).Lsh(big.NewInt(1), decimal.MaxMantBits), 0) // one bit too many
	_, err := Join(context.Background(), Local{Store: store.New(store.Options{})},
		fakeRemote{seed: [2]uint64{1, 2}, ok: true, totals: cluster.Totals{Count: 1, Sum: wide}}, "n1", quiet())
	assert.ErrorIs(t, err, store.ErrBadState)
}
