package stages

import (
	"bytes"
	"math"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/store"
)

// The inputs every stage shares. typicalBody is the body of every request in
// requestCases: the 1MRC event as clients send it.
const (
	typicalBody   = `{"userId":"user_12345","value":345}`
	typicalUserID = "user_12345"
	typicalNanos  = 345_000_000_000 // 345 in the decoder's 1e-9 units
)

// clientRequests holds the real client captures, byte for byte (see its
// README.md); httpparse's tests read the same files, so there is one copy.
const clientRequests = "../../httpparse/testdata/requests/"

// curlRequest is the request most stages start from.
const curlRequest = clientRequests + "curl.http"

// requestCase is one captured request.
type requestCase struct {
	name string // benchmark sub-name
	path string // relative to this package
}

// requestCases is the table BenchmarkParse and BenchmarkParseNetHTTP share.
//   - curl, goclient: byte for byte what curl 7.88.1 -d and Go's http.Post
//     wrote on a loopback socket.
//   - wrk: what wrk 4.1.0 wrote for the project's benchmarks/wrk scripts,
//     wrk.format("POST", "/event", {["Content-Type"]="application/json"}, body),
//     captured from a socket with the Host port rewritten to 8080. wrk.format
//     adds Host and Content-Length itself and emits the fields in Lua table
//     order, which is why Content-Type comes first.
var requestCases = []requestCase{
	{"curl", curlRequest},
	{"goclient", clientRequests + "goclient.http"},
	{"wrk", "testdata/wrk.http"},
}

// readFixture returns the bytes of the file at path, failing the benchmark
// or test when it is missing: a missing input is a broken checkout, not a
// reason to skip.
func readFixture(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// pipelined returns n POST /event requests back to back, as a pipelining
// client sends them: the curl request with the userId rewritten to
// user_10000 .. user_1000(n-1), all of the same length as user_12345.
func pipelined(tb testing.TB, n int) []byte {
	tb.Helper()
	one := readFixture(tb, curlRequest)
	if !bytes.Contains(one, []byte(typicalUserID)) {
		tb.Fatal("curl.http does not carry " + typicalUserID)
	}
	var all []byte
	for i := range n {
		id := "user_" + strconv.Itoa(10000+i)
		all = append(all, bytes.Replace(one, []byte(typicalUserID), []byte(id), 1)...)
	}
	return all
}

// refStore is the baseline for recording: what the 1MRC challenge's
// reference servers do. The user id is a string key in a sync.Map (the
// unique count is bumped when LoadOrStore stored it), the request count is
// an atomic add and the float64 sum a compare-and-swap loop on its bits.
type refStore struct {
	users   sync.Map
	unique  atomic.Int64
	count   atomic.Int64
	sumBits atomic.Uint64
}

func (r *refStore) record(userID string, value float64) {
	r.count.Add(1)
	for {
		old := r.sumBits.Load()
		sum := math.Float64frombits(old) + value
		if r.sumBits.CompareAndSwap(old, math.Float64bits(sum)) {
			break
		}
	}
	if _, loaded := r.users.LoadOrStore(userID, struct{}{}); !loaded {
		r.unique.Add(1)
	}
}

// eventJSON is the struct the baseline decoders fill.
type eventJSON struct {
	UserID string  `json:"userId"`
	Value  float64 `json:"value"`
}

// statsJSON is the /stats object the baseline encoders write.
type statsJSON struct {
	TotalRequests uint64  `json:"totalRequests"`
	UniqueUsers   uint64  `json:"uniqueUsers"`
	Sum           float64 `json:"sum"`
	Avg           float64 `json:"avg"`
}

// standardStats is the /stats body after the standard 1MRC run.
const standardStats = `{"totalRequests":1000000,"uniqueUsers":75000,"sum":499500000,"avg":499.5}`

var (
	standardOnce sync.Once
	standardSnap store.Snapshot
)

// standardSnapshot returns the store's snapshot after the standard run
// (1,000,000 events over 2 shards, userId user_(i%75000), value i%1000),
// built once per process through the store's public API: the 1MRC-sized
// input of BenchmarkSerializeStats.
func standardSnapshot(tb testing.TB) *store.Snapshot {
	tb.Helper()
	standardOnce.Do(func() {
		s := store.New(store.Options{})
		shards := [2]*store.Shard{s.NewShard(), s.NewShard()}
		ids := userIDs(75_000)
		for i := range 1_000_000 {
			ev := event.Event{UserID: ids[i%len(ids)], Value: event.Value{Nanos: int64(i%1000) * 1e9, Small: true}}
			shards[i%2].Record(&ev)
		}
		shards[0].Publish()
		shards[1].Publish()
		standardSnap = s.Snapshot()
	})
	if got := string(store.AppendStats(nil, &standardSnap)); got != standardStats {
		tb.Fatalf("standard run: got %s, want %s", got, standardStats)
	}
	return &standardSnap
}

// userIDs returns "user_0" .. "user_(n-1)".
func userIDs(n int) [][]byte {
	ids := make([][]byte, n)
	for i := range ids {
		ids[i] = []byte("user_" + strconv.Itoa(i))
	}
	return ids
}
