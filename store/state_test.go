package store

import (
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/onemrc/onemrc/decimal"
	"github.com/onemrc/onemrc/event"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func recordAll(t *testing.T, sh *Shard, users []string, values []string) {
	t.Helper()
	var d event.Decoder
	var ev event.Event
	for i, u := range users {
		body := `{"userId":"` + u + `","value":` + values[i%len(values)] + `}`
		require.NoError(t, d.Decode([]byte(body), &ev), body)
		sh.Record(&ev)
	}
	sh.Publish()
}

// A restored store answers exactly what the original did, keeps counting from there, and
// does not count a restored user again.
func TestStateRoundTrip(t *testing.T) {
	for name, values := range map[string][]string{
		"small":    {"1", "2.5", "-0.75", "499"},
		"negative": {"-3", "-1e2"},
		"slow":     {"1e300", "0.1234567891", "-1e-300", "7"},
		"zero":     {"0"},
	} {
		t.Run(name, func(t *testing.T) {
			orig := New(Options{})
			users := make([]string, 5000)
			for i := range users {
				users[i] = "user_" + strconv.Itoa(i%1700)
			}
			recordAll(t, orig.NewShard(), users, values)
			want := orig.Snapshot()

			st := orig.State()
			assert.Len(t, st.Users, 1700)
			restored, err := Restore(st, Options{})
			require.NoError(t, err)
			got := restored.Snapshot()
			assert.Equal(t, want.TotalRequests, got.TotalRequests)
			assert.Equal(t, want.UniqueUsers, got.UniqueUsers)
			assert.Zero(t, want.SumRat().Cmp(got.SumRat()), "exact sum %s vs %s", want.SumRat(), got.SumRat())
			assert.Equal(t, want.Avg(), got.Avg())

			// Old users are not new again; a new one is.
			recordAll(t, restored.NewShard(), []string{"user_1", "user_2", "brand-new"}, []string{"1"})
			after := restored.Snapshot()
			assert.Equal(t, want.TotalRequests+3, after.TotalRequests)
			assert.Equal(t, want.UniqueUsers+1, after.UniqueUsers)
			wantSum := new(big.Rat).Add(want.SumRat(), big.NewRat(3, 1))
			assert.Zero(t, wantSum.Cmp(after.SumRat()))
		})
	}
}

func TestRestoreRejectsInconsistentState(t *testing.T) {
	_, err := Restore(State{}, Options{})
	assert.ErrorIs(t, err, ErrBadState, "no seed")
	_, err = Restore(State{Seed: [2]uint64{1, 2}, TotalRequests: 1, Sum: new(decimal.Decimal), Users: [][2]uint64{{1, 1}, {2, 2}}}, Options{})
	assert.ErrorIs(t, err, ErrBadState, "more users than events")
	_, err = Restore(State{Seed: [2]uint64{1, 2}, TotalRequests: 5, Sum: new(decimal.Decimal), Users: [][2]uint64{{1, 1}, {1, 1}}}, Options{})
	assert.ErrorIs(t, err, ErrBadState, "a duplicate user")
}

func TestToNanos(t *testing.T) {
	n, ok := toNanos(decimal.New(big.NewInt(-15), -1))
	require.True(t, ok)
	assert.Equal(t, "-1500000000", n.bigInt().String())
	_, ok = toNanos(decimal.New(big.NewInt(1), -10))
	assert.False(t, ok, "finer than 1e-9")
	_, ok = toNanos(decimal.New(big.NewInt(1), 300))
	assert.False(t, ok, "beyond int128")
}

// The sum bounds are what their derivation says, and the widest sums a store can be
// made to hold stay inside them.
func TestSumBounds(t *testing.T) {
	// The finest and the largest values the decoder accepts, both signs, on two loops.
	finest := "-2." + strings.Repeat("9", event.MaxNumberLen-8) + "e-324" // 512 bytes
	require.Len(t, finest, event.MaxNumberLen)
	values := []string{finest, finest[1:], "1.7976931348623157e308", "-1.7976931348623157e308", "7", "0.1234567891"}
	s := New(Options{})
	a, b := s.NewShard(), s.NewShard()
	var d event.Decoder
	var ev event.Event
	for i := range 200 {
		require.NoError(t, d.Decode([]byte(`{"userId":"u","value":`+values[i%len(values)]+`}`), &ev), values[i%len(values)])
		a.Record(&ev)
		if i%3 == 0 {
			require.NoError(t, d.Decode([]byte(`{"userId":"v","value":1.7976931348623157e308}`), &ev))
			b.Record(&ev)
		}
	}
	a.Publish()
	b.Publish()
	st := s.State()
	require.NoError(t, st.Sum.Check())
	assert.Equal(t, -324-(event.MaxNumberLen-8), st.Sum.Scale(), "the finest value sets the scale")
	snap := s.Snapshot()
	assert.NoError(t, snap.SumDecimal().Check())
}

// A State whose sum no store could have written is refused before any arithmetic with
// it (10^|scale| would take seconds), with the bound it breaks (decimal.Check; its own
// tests cover every bound).
func TestRestoreRejectsSumOutOfBounds(t *testing.T) {
	tooWide := new(big.Int).Lsh(big.NewInt(1), decimal.MaxMantBits) // one bit too many
	_, err := Restore(State{Seed: [2]uint64{1, 2}, TotalRequests: 5, Sum: decimal.New(big.NewInt(1), decimal.MinScale-1)}, Options{})
	require.ErrorIs(t, err, ErrBadState)
	assert.Contains(t, err.Error(), "sum scale -912 outside [-911, 309]")
	_, err = Restore(State{Seed: [2]uint64{1, 2}, TotalRequests: 5, Sum: decimal.New(tooWide, 0)}, Options{})
	require.ErrorIs(t, err, ErrBadState)
	assert.Contains(t, err.Error(), "sum mantissa of 4122 bits exceeds 4121")
	for _, scale := range []int{decimal.MinScale, decimal.MaxScale} {
		_, err := Restore(State{Seed: [2]uint64{1, 2}, TotalRequests: 5, Sum: decimal.New(big.NewInt(-3), scale)}, Options{})
		assert.NoError(t, err, "scale %d is one a store can write", scale)
	}
}
