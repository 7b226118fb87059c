package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onemrc/onemrc/benchmarks/internal/onemrcd"
)

// redisServer is a redis-server this program started on a loopback port: no RDB, no
// AOF, so a restart comes back empty.
type redisServer struct {
	bin, addr, logPath string
	proc               *onemrcd.Process
}

// startRedis starts redis-server on a free loopback port, its output in b's temporary
// folder, and returns once it answers PING; on error no redis-server it started runs.
func startRedis(ctx context.Context, b *bench) (*redisServer, error) {
	addr, err := onemrcd.FreeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	r := &redisServer{bin: b.redisBin, addr: addr, logPath: filepath.Join(b.tmp, "redis.log")}
	if err := r.start(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *redisServer) start(ctx context.Context) error {
	_, port, err := net.SplitHostPort(r.addr)
	if err != nil {
		return err
	}
	args := []string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}
	if r.proc, err = onemrcd.StartProcess(r.bin, args, nil, r.logPath); err != nil {
		return err
	}

	c := newRedisClient(r.addr, nil)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		if c.Ping(ctx).Err() == nil {
			return nil
		}
		select {
		case <-r.proc.Exited():
			return fmt.Errorf("redis-server on %s exited at start; its output: %s", r.addr, r.logPath)
		case <-ctx.Done():
			r.kill()
			return fmt.Errorf("redis-server on %s did not answer PING: %w", r.addr, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (r *redisServer) pid() int { return r.proc.PID() }

// kill ends redis-server with SIGKILL, as a crash would, and waits for it to exit.
func (r *redisServer) kill() { r.proc.Kill() }

// restart kills redis-server and starts an empty one on the same port.
func (r *redisServer) restart(ctx context.Context) error {
	r.kill()
	return r.start(ctx)
}

// newRedisClient is a client of one connection at a time. When written is not nil, every
// byte the client sends is counted in it: Redis's total_net_input_bytes minus these is
// what the other clients (the daemons) sent.
func newRedisClient(addr string, written *atomic.Int64) *redis.Client {
	opts := &redis.Options{Addr: addr, PoolSize: 1, MaxRetries: -1,
		DialTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}
	if written != nil {
		dialer := &net.Dialer{Timeout: time.Second}
		opts.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: c, written: written}, nil
		}
	}
	return redis.NewClient(opts)
}

// countingConn counts the bytes written through it.
type countingConn struct {
	net.Conn
	written *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// userShards is the number of Redis sets holding the cluster's users, and shardKey names
// them, as cluster/users.go lays them out: {onemrc:u:00}:users to {onemrc:u:ff}:users.
const userShards = 256

func shardKey(s int) string { return fmt.Sprintf("{onemrc:u:%02x}:users", s) }

// clusterUsers is the sum of the cardinalities of every user shard: the users Redis holds.
func clusterUsers(ctx context.Context, c *redis.Client) (int64, error) {
	pipe := c.Pipeline()
	cmds := make([]*redis.IntCmd, userShards)
	for s := range cmds {
		cmds[s] = pipe.SCard(ctx, shardKey(s))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, err
	}
	var n int64
	for _, cmd := range cmds {
		n += cmd.Val()
	}
	return n, nil
}

// redisInfo reads INFO's sections as one map of field to value.
func redisInfo(ctx context.Context, c *redis.Client, sections ...string) (map[string]string, error) {
	text, err := c.Info(ctx, sections...).Result()
	if err != nil {
		return nil, err
	}
	return parseInfo(text), nil
}

// parseInfo reads INFO's "field:value" lines; "# Section" headers and blank lines are
// skipped.
func parseInfo(text string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// infoInt reads an integer field of INFO; 0 when missing.
func infoInt(info map[string]string, field string) int64 {
	n, _ := strconv.ParseInt(info[field], 10, 64)
	return n
}

// infoFloat reads a decimal field of INFO; 0 when missing.
func infoFloat(info map[string]string, field string) float64 {
	f, _ := strconv.ParseFloat(info[field], 64)
	return f
}

// commandUsec reads the microseconds Redis spent in a command from INFO commandstats
// ("cmdstat_sadd:calls=540,usec=495182,usec_per_call=917.00,..."), and its calls.
func commandUsec(info map[string]string, command string) (usec, calls int64) {
	for _, kv := range strings.Split(info["cmdstat_"+command], ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "usec":
			usec, _ = strconv.ParseInt(v, 10, 64)
		case "calls":
			calls, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return usec, calls
}
