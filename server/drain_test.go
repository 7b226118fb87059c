package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDrainUnderLoad is the rolling restart as a load balancer sees it. Eight keep-alive
// clients send events while a prober polls /ready every 20 ms, as a load balancer does;
// the daemon gets SIGTERM under that load. /ready must turn 503 at once while events are
// still answered for -drain-timeout; the clients stop when the prober sees the 503 and
// must have had every request answered 200, without a reset; a request whose body was
// still arriving at SIGTERM is answered after the drain; the daemon exits 0 with every
// acknowledged event in its final count.
func TestDrainUnderLoad(t *testing.T) {
	const drain = time.Second
	d := startDaemon(t, "-loops", "2", "-drain-timeout", drain.String())
	code, body := d.get("/ready")
	require.Equal(t, 200, code)
	require.JSONEq(t, `{"status":"ready"}`, body)

	var (
		notReady  atomic.Bool
		sigtermAt atomic.Int64
		readyOff  atomic.Int64 // when the prober first saw 503
		acked     atomic.Int64
		afterTerm atomic.Int64 // events answered after SIGTERM
		wg        sync.WaitGroup
		errs      = make(chan error, 16)
	)
	wg.Add(1)
	go func() { // the load balancer's probe
		defer wg.Done()
		for !notReady.Load() {
			code, _ := d.get("/ready")
			if code != 200 && sigtermAt.Load() != 0 {
				readyOff.Store(time.Now().UnixNano())
				notReady.Store(true)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", d.addr, 2*time.Second)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			req := eventRequest("drain"+strconv.Itoa(w), "1")
			for !notReady.Load() {
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := c.Write(req); err != nil {
					errs <- err
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- &net.AddrError{Err: "status " + resp.Status}
					return
				}
				acked.Add(1)
				if sigtermAt.Load() != 0 {
					afterTerm.Add(1)
				}
			}
		}()
	}

	// A client whose request is half sent at SIGTERM and completed after the drain.
	slow := d.dial()
	ev := eventRequest("slow", "2")
	_, err := slow.Write(ev[:len(ev)-5])
	require.NoError(t, err)

	time.Sleep(300 * time.Millisecond)
	require.Positive(t, acked.Load(), "no load before SIGTERM")
	sigtermAt.Store(time.Now().UnixNano())
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))

	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a client that honours /ready lost a request: %v", err)
	}
	require.NotZero(t, readyOff.Load())
	assert.Less(t, time.Duration(readyOff.Load()-sigtermAt.Load()), drain/2, "/ready turned 503 this long after SIGTERM")
	assert.Positive(t, afterTerm.Load(), "the daemon served during the drain")

	time.Sleep(time.Until(time.Unix(0, sigtermAt.Load()).Add(drain + 300*time.Millisecond)))
	_, err = slow.Write(ev[len(ev)-5:])
	require.NoError(t, err)
	br := bufio.NewReader(slow)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err, "the request whose bytes were arriving at SIGTERM")
	assert.Equal(t, 200, resp.StatusCode)
	resp.Body.Close()
	rest, err := io.ReadAll(br)
	require.NoError(t, err, "the daemon ends the connection with FIN, not a reset")
	assert.Empty(t, rest)
	slow.Close()

	select {
	case <-d.done:
	case <-time.After(15 * time.Second):
		t.Fatal("the daemon did not exit after the drain")
	}
	stoppedIn := time.Since(time.Unix(0, sigtermAt.Load()))
	assert.Equal(t, 0, d.cmd.ProcessState.ExitCode())
	assert.GreaterOrEqual(t, stoppedIn, drain, "the daemon stopped before -drain-timeout")
	m := regexp.MustCompile(`msg="onemrcd stopped" totalRequests=(\d+)`).FindStringSubmatch(d.logs.String())
	require.NotNil(t, m, d.logs.String())
	total, _ := strconv.ParseInt(m[1], 10, 64)
	assert.Equal(t, acked.Load()+1, total, "every acknowledged event is counted, nothing else")
	t.Logf("%d events acknowledged, %d of them after SIGTERM; /ready 503 after %v; exit after %v",
		acked.Load(), afterTerm.Load(), time.Duration(readyOff.Load()-sigtermAt.Load()).Round(time.Millisecond),
		stoppedIn.Round(time.Millisecond))
}

// A second signal during the drain exits at once with code 1.
func TestSecondSignalDuringDrain(t *testing.T) {
	d := startDaemon(t, "-drain-timeout", "30s")
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))
	require.Eventually(t, func() bool { code, _ := d.get("/ready"); return code == 503 }, 5*time.Second, 10*time.Millisecond)
	code, _ := d.get("/health")
	assert.Equal(t, 200, code, "alive while draining")
	second := time.Now()
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGINT))
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon did not exit on the second signal")
	}
	assert.Less(t, time.Since(second), 2*time.Second)
	assert.Equal(t, 1, d.cmd.ProcessState.ExitCode())
}

func TestConfigDrainTimeout(t *testing.T) {
	cfg, err := parseConfig(nil, env(nil), nil)
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, cfg.drainTime)
	cfg, err = parseConfig(nil, env(map[string]string{"ONEMRC_DRAIN_TIMEOUT": "0"}), nil)
	require.NoError(t, err)
	assert.Zero(t, cfg.drainTime)
	cfg, err = parseConfig([]string{"-config", writeConfig(t, `{"drain-timeout": "15s"}`)}, env(nil), nil)
	require.NoError(t, err)
	assert.Equal(t, 15*time.Second, cfg.drainTime)
	for _, args := range [][]string{{"-drain-timeout", "-1s"}, {"-drain-timeout", "5"}} {
		_, err := parseConfig(args, env(nil), io.Discard)
		require.Error(t, err, "%v", args)
		assert.Contains(t, err.Error(), "drain-timeout")
		assert.Equal(t, 2, exitCode(err))
	}
}
