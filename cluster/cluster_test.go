package cluster

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/store"
)

func TestParseView(t *testing.T) {
	nodes, err := parseView([]any{"OK", "a", "10", "-15", "-1", "b", "3", "2", "0"})
	require.NoError(t, err)
	require.Len(t, nodes, 2)
	assert.Equal(t, "a", nodes[0].node)
	assert.Equal(t, uint64(10), nodes[0].Count)
	assert.Equal(t, "-15×10^-1", nodes[0].Sum.String())

	_, err = parseView([]any{"EPOCH"})
	assert.ErrorIs(t, err, errEpoch)
	for _, bad := range [][]any{{}, {"NO"}, {"OK", "a"}, {"OK", "a", "x", "1", "0"}, {"OK", int64(-1)}} {
		_, err = parseView(bad)
		assert.Error(t, err, "%v", bad)
	}
}

func TestSeedRoundTrip(t *testing.T) {
	seed := [2]uint64{0xdeadbeef, 42}
	got, err := decodeSeed(encodeSeed(seed))
	require.NoError(t, err)
	assert.Equal(t, seed, got)
	_, err = decodeSeed("zz")
	assert.Error(t, err)
	assert.Len(t, userMember([2]uint64{1, 2}), 16)
}

// The cluster /stats is the exact merge of this node's live totals and the other nodes'
// stored ones, rounded once: the same body as merging the decimals on every answer.
func TestAppendStatsMergesExactly(t *testing.T) {
	tests := []struct {
		name  string
		local []string
		view  []any // the script's reply
	}{
		{"before the first flush", []string{"1", "2.5"}, nil},
		{"small", []string{"1", "2.5"}, []any{"OK", "a", "2", "35", "-1", "b", "4", "-12345", "-9"}},
		{"slow here", []string{"1.7e308", "0.5"}, []any{"OK", "a", "2", "35", "-1", "b", "1", "7", "0"}},
		{"slow there", []string{"3"}, []any{"OK", "a", "1", "3", "0", "b", "2", "-177", "-312"}},
		{"slow both", []string{"1.7e308", "1e-300"}, []any{"OK", "a", "2", "1", "-300", "b", "2", "-17", "307"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := store.New(store.Options{})
			sh := st.NewShard()
			var dec event.Decoder
			var ev event.Event
			for _, v := range tc.local {
				require.NoError(t, dec.Decode([]byte(`{"userId":"u","value":`+v+`}`), &ev))
				sh.Record(&ev)
			}
			sh.Publish()
			n := &Node{cfg: Config{NodeID: "a"}, users: newUserSync(newToken())}
			n.users.shards[7].scard = 3 // what the last writes and checks saw
			if tc.view != nil {
				require.NoError(t, n.accept(tc.view))
			}
			local := st.Snapshot()

			// The reference: every node's decimal merged, as one Snapshot.
			sum := local.SumDecimal()
			total, unique, nodes := local.TotalRequests, local.UniqueUsers, 0
			if tc.view != nil {
				others, err := parseView(tc.view)
				require.NoError(t, err)
				nodes = len(others)
				unique = max(unique, 3)
				for _, o := range others {
					if o.node != "a" {
						total += o.Count
						sum.Add(o.Sum)
					}
				}
			}
			ref := store.SnapshotOf(total, min(unique, total), sum)
			want := string(store.AppendStats(nil, &ref))
			want = want[:len(want)-1] + `,"scope":"cluster","nodes":` + strconv.Itoa(nodes) + `,"ageMs":`

			got := string(n.AppendStats(nil, &local))
			assert.True(t, strings.HasPrefix(got, want), "got  %s\nwant %s", got, want)
		})
	}
}

// What Redis holds is read back, never trusted: a node's sum beyond anything a store
// can write is refused, naming the field and the bound, before any arithmetic with it.
func TestParseViewRejectsSumsBeyondTheStore(t *testing.T) {
	nines := func(n int) string { return strings.Repeat("9", n) }
	tests := []struct {
		name        string
		mant, scale string
		want        string
	}{
		{"scale far above", "1", "1000000000", "node b sum scale 1000000000 outside [-911, 309]"},
		{"scale far below", "1", "-1000000000", "node b sum scale -1000000000 outside [-911, 309]"},
		{"scale just above", "1", "310", "node b sum scale 310 outside"},
		{"scale just below", "-1", "-912", "node b sum scale -912 outside"},
		{"scale beyond int", "1", "99999999999999999999", "node b scale: "},
		{"mant too long", nines(2000), "0", "node b mant of 2000 bytes exceeds 1242"},
		{"mant too wide", nines(1242), "0", "node b sum mantissa of 4126 bits exceeds 4121"},
		{"mant not a number", "12x", "0", `node b mant "12x" is not a decimal integer`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseView([]any{"OK", "a", "1", "5", "0", "b", "1", tc.mant, tc.scale})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// The bounds themselves are legal (decimal's TestParse tries the widest mantissa).
	nodes, err := parseView([]any{"OK", "b", "1", "-7", "-911", "c", "2", "7", "309"})
	require.NoError(t, err)
	assert.Equal(t, "-7×10^-911", nodes[0].Sum.String())
	assert.Equal(t, "7×10^309", nodes[1].Sum.String())
}

// Every number of the script's reply is range-checked before it is used: the number of
// nodes, and each node's count (so that their sum cannot overflow).
func TestParseViewRejectsNumbersOutOfRange(t *testing.T) {
	nodes := func(n int, count string) []any {
		reply := []any{"OK"}
		for i := range n {
			reply = append(reply, "n"+strconv.Itoa(i), count, "1", "0")
		}
		return reply
	}
	tests := []struct {
		name  string
		reply []any
		want  string
	}{
		{"too many nodes", nodes(maxNodes+1, "1"), "1025 nodes in redis exceed 1024"},
		{"count beyond 2^53", nodes(1, "9007199254740993"), "node n0 count 9007199254740993 exceeds 9007199254740992"},
		{"count beyond uint64", nodes(1, "18446744073709551616"), "node n0 count: "},
		{"negative count", nodes(1, "-1"), "node n0 count: "},
		{"count not a number", nodes(1, "1e3"), "node n0 count: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseView(tc.reply)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// The bounds themselves are legal, and their sum fits.
	reply := nodes(maxNodes, strconv.FormatUint(maxNodeCount, 10))
	n := &Node{cfg: Config{NodeID: "me"}, users: newUserSync(newToken())}
	require.NoError(t, n.accept(reply))
	assert.Equal(t, maxNodes, n.view.Load().nodes)
}

// A refused flush reports the sequence number Redis holds, range-checked, so that the
// node's next flush goes past it.
func TestParseViewStale(t *testing.T) {
	_, err := parseView([]any{"STALE", "1764400000000000000"})
	var stale staleError
	require.ErrorAs(t, err, &stale)
	assert.Equal(t, int64(1764400000000000000), stale.seq)
	for _, bad := range []any{"0", "-5", "4611686018427387905", "9223372036854775808", "1e18", int64(maxSeq + 1)} {
		_, err := parseView([]any{"STALE", bad})
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "stored flush seq", bad)
		assert.NotErrorAs(t, err, &stale, bad)
	}
}
