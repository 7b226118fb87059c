package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// batchBody is NDJSON of n events for users prefix0..prefix(users-1), value 1 each.
func batchBody(prefix string, from, n, users int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "{\"userId\":\"%s%d\",\"value\":1}\n", prefix, i%users)
	}
	return b.String()
}

// postBatch sends one POST /events on c and returns the status and body of its answer.
func postBatch(t *testing.T, c io.Writer, br *bufio.Reader, fields, body string) (int, string) {
	t.Helper()
	_, err := fmt.Fprintf(c, "POST /events HTTP/1.1\r\nHost: t\r\n%sContent-Length: %d\r\n\r\n%s", fields, len(body), body)
	require.NoError(t, err)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestBatchOverTCP(t *testing.T) {
	admin := freePort(t)
	d := startDaemon(t, "-admin-addr", admin, "-loops", "2", "-max-batch-events", "1000")
	c := d.dial()
	br := bufio.NewReader(c)

	code, body := postBatch(t, c, br, "Content-Type: application/x-ndjson\r\n", batchBody("u", 0, 1000, 300))
	assert.Equal(t, 200, code)
	assert.Equal(t, `{"accepted":1000}`, body)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("[" + strings.ReplaceAll(strings.TrimSpace(batchBody("v", 0, 500, 500)), "\n", ",") + "]"))
	require.NoError(t, zw.Close())
	code, body = postBatch(t, c, br, "Content-Type: application/json\r\nContent-Encoding: gzip\r\n", gz.String())
	assert.Equal(t, 200, code)
	assert.Equal(t, `{"accepted":500}`, body)

	// Refused batches change nothing, and the connection goes on.
	code, body = postBatch(t, c, br, "", batchBody("w", 0, 1001, 1001))
	assert.Equal(t, 413, code)
	assert.Equal(t, `{"error":"too many events in batch","index":1000}`, body)
	code, body = postBatch(t, c, br, "", batchBody("w", 0, 10, 10)+`{"userId":"w","value":"1"}`)
	assert.Equal(t, 400, code)
	assert.Equal(t, `{"error":"value is not a number","index":10}`, body)

	st := d.stats()
	assert.Equal(t, stats{TotalRequests: 1500, UniqueUsers: 800, Sum: 1500, Avg: 1}, st)

	var fams map[string]*dto.MetricFamily
	require.Eventually(t, func() bool {
		fams = scrape(t, admin)
		v, _ := find(fams, "http_requests_total", "method", "POST", "endpoint", "/events", "status", "400")
		return v == 1
	}, 5*time.Second, 50*time.Millisecond)
	assert.Equal(t, float64(1500), value(t, fams, "events_processed_total"), "a batch counts its events")
	assert.Equal(t, float64(2), value(t, fams, "http_requests_total", "method", "POST", "endpoint", "/events", "status", "200"), "and is one request")
	assert.Equal(t, float64(1), value(t, fams, "http_requests_total", "method", "POST", "endpoint", "/events", "status", "413"))
	assert.Equal(t, float64(1), value(t, fams, "events_failed_total", "reason", "too_many_events_in_batch"))
	assert.Equal(t, float64(1), value(t, fams, "events_failed_total", "reason", "value_is_not_a_number"))
}

// A body over -max-batch-bytes is refused from its header (with Expect: 100-continue,
// before the client sends it) and the connection closed; other connections go on.
func TestBatchTooLargeIsRefusedAtTheHeader(t *testing.T) {
	d := startDaemon(t, "-max-batch-bytes", "100000")
	c := d.dial()
	_, err := fmt.Fprintf(c, "POST /events HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 100001\r\n\r\n")
	require.NoError(t, err)
	out := readUntilClosed(t, c, 5*time.Second)
	assert.True(t, strings.HasPrefix(out, "HTTP/1.1 413 "), out)
	assert.NotContains(t, out, "100 Continue")
	assert.Equal(t, stats{}, d.stats())
}

// With -data-dir every batch ends a log record of its own, and SIGKILL loses no batch
// that was answered: each one comes back whole (all its users, all its events) or, had it
// not been answered, not at all.
func TestBatchesSurviveSIGKILL(t *testing.T) {
	for _, mode := range []string{"always", "off"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			admin := freePort(t)
			d := startDaemon(t, "-data-dir", dir, "-fsync", mode, "-loops", "2", "-admin-addr", admin)
			c := d.dial()
			br := bufio.NewReader(c)
			const batches, size = 20, 1000
			for i := range batches {
				code, body := postBatch(t, c, br, "", batchBody("k", i*size, size, 1<<30))
				require.Equal(t, 200, code, body)
			}
			records := value(t, scrape(t, admin), "onemrc_wal_records_total")
			assert.GreaterOrEqual(t, records, float64(batches), "one record per batch at least")
			assert.Less(t, records, float64(2*batches), "not one per event")
			require.NoError(t, d.cmd.Process.Kill())
			<-d.done

			d2 := startDaemon(t, "-data-dir", dir, "-fsync", mode)
			assert.Equal(t, stats{TotalRequests: batches * size, UniqueUsers: batches * size, Sum: batches * size, Avg: 1}, d2.stats())
		})
	}
}

// Many connections send batches at once, so that one turn of a loop serves several: the
// stats are exact, and so is what the log restores after SIGKILL.
func TestConcurrentBatchesAreExactAndLogged(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, "-loops", "2", "-data-dir", dir, "-fsync", "off")
	const conns, perConn, size, users = 40, 10, 500, 75_000
	var wg sync.WaitGroup
	failures := make(chan string, conns)
	for k := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := d.dial()
			br := bufio.NewReader(c)
			for j := range perConn {
				first := (k*perConn + j) * size
				var b strings.Builder
				for i := first; i < first+size; i++ {
					fmt.Fprintf(&b, "{\"userId\":\"user_%d\",\"value\":%d}\n", i%users, i%1000)
				}
				body := b.String()
				if _, err := fmt.Fprintf(c, "POST /events HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s", len(body), body); err != nil {
					failures <- err.Error()
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					failures <- err.Error()
					return
				}
				got, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || string(got) != fmt.Sprintf(`{"accepted":%d}`, size) {
					failures <- fmt.Sprintf("%d %s", resp.StatusCode, got)
				}
			}
		}()
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	const events = conns * perConn * size // 200,000: 200 full cycles of 0..999
	want := stats{TotalRequests: events, UniqueUsers: users, Sum: 200 * 499_500, Avg: 499.5}
	assert.Equal(t, want, d.stats())
	require.NoError(t, d.cmd.Process.Kill())
	<-d.done
	assert.Equal(t, want, startDaemon(t, "-data-dir", dir).stats())
}

// A batch cut short changes nothing: the client goes away mid-body, or stops sending
// and meets the body timeout (408), or sends a body whose JSON is cut (400).
func TestTruncatedBatchesChangeNothing(t *testing.T) {
	d := startDaemon(t, "-body-timeout", "1s")
	body := batchBody("t", 0, 100, 100)

	gone := d.dial()
	_, err := fmt.Fprintf(gone, "POST /events HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:len(body)/2])
	require.NoError(t, err)
	require.NoError(t, gone.Close())

	stalled := d.dial()
	_, err = fmt.Fprintf(stalled, "POST /events HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:len(body)-1])
	require.NoError(t, err)
	out := readUntilClosed(t, stalled, 5*time.Second)
	assert.True(t, strings.HasPrefix(out, "HTTP/1.1 408 "), out)

	c := d.dial()
	code, answer := postBatch(t, c, bufio.NewReader(c), "", body[:len(body)-3])
	assert.Equal(t, 400, code)
	assert.Equal(t, `{"error":"malformed JSON","index":99}`, answer)

	assert.Equal(t, stats{}, d.stats())
}

// POST /debug/free-memory on the admin listener gives freed heap back to the system and
// says how much is resident; it is not on the metrics listener, nor a GET.
func TestFreeMemory(t *testing.T) {
	admin, metrics := freePort(t), freePort(t)
	d := startDaemon(t, "-admin-addr", admin, "-metrics-addr", metrics)
	c := d.dial()
	code, _ := postBatch(t, c, bufio.NewReader(c), "", batchBody("m", 0, 5000, 5000))
	require.Equal(t, 200, code)

	resp, err := http.Post("http://"+admin+"/debug/free-memory", "", nil)
	require.NoError(t, err)
	var got struct{ RSSBefore, RSSAfter int64 }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Positive(t, got.RSSBefore)
	assert.Positive(t, got.RSSAfter)

	resp, err = http.Get("http://" + admin + "/debug/free-memory")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 405, resp.StatusCode)
	resp, err = http.Post("http://"+metrics+"/debug/free-memory", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 404, resp.StatusCode)
	assert.Equal(t, int64(5000), d.stats().TotalRequests)
}

// SIGKILL at a random moment while batches are in flight: after the restart every
// acknowledged batch is there, and every batch is there whole or not at all (each event
// has its own user and the value 1, and each batch 200 of them, so a torn batch would
// show a total that is no multiple of 200, or totals that disagree).
func TestBatchesSurviveSIGKILLAtARandomMoment(t *testing.T) {
	const size, clients = 200, 6
	for _, mode := range []string{"always", "off"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			d := startDaemon(t, "-data-dir", dir, "-fsync", mode, "-loops", "2")
			var next, acked, sent atomic.Int64
			var wg sync.WaitGroup
			for range clients {
				c := d.dial()
				wg.Go(func() {
					br := bufio.NewReader(c)
					for {
						first := int(next.Add(1)-1) * size
						body := batchBody("r", first, size, 1<<30)
						sent.Add(1)
						if _, err := fmt.Fprintf(c, "POST /events HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s", len(body), body); err != nil {
							return
						}
						resp, err := http.ReadResponse(br, nil)
						if err != nil {
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						if resp.StatusCode != 200 {
							t.Errorf("status %d", resp.StatusCode)
							return
						}
						acked.Add(1)
					}
				})
			}
			time.Sleep(time.Duration(150+rand.IntN(450)) * time.Millisecond)
			require.NoError(t, d.cmd.Process.Kill())
			<-d.done
			wg.Wait() // every client sees its connection reset
			require.Positive(t, acked.Load(), "the daemon answered nothing before the kill")

			st := startDaemon(t, "-data-dir", dir, "-fsync", mode).stats()
			t.Logf("acknowledged %d batches of %d sent; restored %d events", acked.Load(), sent.Load(), st.TotalRequests)
			assert.Zero(t, st.TotalRequests%size, "a batch restored in part")
			assert.GreaterOrEqual(t, st.TotalRequests, acked.Load()*size, "acknowledged batches lost")
			assert.LessOrEqual(t, st.TotalRequests, sent.Load()*size)
			assert.Equal(t, st.TotalRequests, st.UniqueUsers)
			assert.Equal(t, float64(st.TotalRequests), st.Sum)
		})
	}
}
