package store

import (
	"math/big"
	"testing"

	"github.com/onemrc/onemrc/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJournalListsEachNewUserOnce(t *testing.T) {
	s := New(Options{})
	s.EnableJournal()
	a, b := s.NewShard(), s.NewShard()
	recordAll(t, a, []string{"x", "y", "x"}, []string{"1"})
	recordAll(t, b, []string{"y", "z"}, []string{"1"})
	first := s.DrainJournal(nil)
	assert.Len(t, first, 3, "x, y, z: y seen on two loops is new to the process once")
	assert.Empty(t, s.DrainJournal(nil), "a drain forgets")
	recordAll(t, a, []string{"z", "w"}, []string{"1"})
	assert.Len(t, s.DrainJournal(nil), 1)

	st := s.State()
	assert.Len(t, st.Users, 4)
}

func TestSumDecimalAndSnapshotOf(t *testing.T) {
	s := New(Options{})
	recordAll(t, s.NewShard(), []string{"a", "b", "c"}, []string{"1.5", "1e300", "-0.25"})
	snap := s.Snapshot()
	again := SnapshotOf(snap.TotalRequests, snap.UniqueUsers, snap.SumDecimal())
	assert.Zero(t, snap.SumRat().Cmp(again.SumRat()))
	assert.Equal(t, string(AppendStats(nil, &snap)), string(AppendStats(nil, &again)))

	small := SnapshotOf(4, 2, decimal.New(big.NewInt(15), -1))
	require.False(t, small.hasSlow(), "a sum in nanos takes the fast path")
	assert.Equal(t, `{"totalRequests":4,"uniqueUsers":2,"sum":1.5,"avg":0.375}`, string(AppendStats(nil, &small)))
}

func TestAppendPartUsersCoversTheSetOncePerPart(t *testing.T) {
	s := New(Options{})
	users := make([]string, 5000)
	for i := range users {
		users[i] = "user_" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
	}
	recordAll(t, s.NewShard(), users, []string{"1"})
	want := s.State().Users
	var got [][2]uint64
	for part := range UserParts {
		before := len(got)
		got = s.AppendPartUsers(got, part)
		for _, k := range got[before:] {
			require.Equal(t, part, UserPart(k), "a key is handed out with its own part")
		}
		require.Equal(t, len(got)-before, s.PartLen(part))
	}
	assert.ElementsMatch(t, want, got)
	assert.Len(t, got, int(s.Snapshot().UniqueUsers))
}
