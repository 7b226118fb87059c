package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil)
	require.NoError(t, err)
	assert.Equal(t, "cost", o.Scenario, "today's behaviour is the default")
	assert.Equal(t, 10_000_000, o.ResyncUsers)

	o, err = parseFlags([]string{"-scenario", "nodes3", "-n", "1000"})
	require.NoError(t, err)
	assert.Equal(t, "nodes3", o.Scenario)
	assert.Equal(t, 1000, o.N)

	for _, bad := range [][]string{{"-scenario", "resyncs"}, {"-rounds", "0"}, {"-c", "2"}, {"-ping-every", "0s"}, {"extra"}} {
		_, err := parseFlags(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestShardKeysAreTheClusters(t *testing.T) {
	assert.Equal(t, "{onemrc:u:00}:users", shardKey(0))
	assert.Equal(t, "{onemrc:u:ff}:users", shardKey(userShards-1))
}

func TestParseInfo(t *testing.T) {
	text := "# Memory\r\nused_memory:843121352\r\nused_memory_human:804.06M\r\n\r\n# Stats\r\ntotal_net_input_bytes:231161124\r\n" +
		"# CPU\r\nused_cpu_sys:1.5\r\nused_cpu_user:8.25\r\n" +
		"# Commandstats\r\ncmdstat_sadd:calls=540,usec=495182,usec_per_call=917.00,rejected_calls=0,failed_calls=0\r\n"
	info := parseInfo(text)
	assert.Equal(t, int64(843121352), infoInt(info, "used_memory"))
	assert.Equal(t, int64(231161124), infoInt(info, "total_net_input_bytes"))
	assert.Equal(t, 9.75, infoFloat(info, "used_cpu_user")+infoFloat(info, "used_cpu_sys"))
	assert.Zero(t, infoInt(info, "no_such_field"))
	usec, calls := commandUsec(info, "sadd")
	assert.Equal(t, int64(495182), usec)
	assert.Equal(t, int64(540), calls)
	usec, calls = commandUsec(info, "evalsha")
	assert.Zero(t, usec+calls, "a command never called")
}

func TestParseMetric(t *testing.T) {
	body := []byte("# HELP onemrc_cluster_backlog_users Users.\n# TYPE onemrc_cluster_backlog_users gauge\n" +
		"onemrc_cluster_backlog_users 32474\nonemrc_cluster_backlog_users_max 1\n" +
		"onemrc_cluster_flushes_total{result=\"ok\"} 124\n")
	v, err := parseMetric(body, "onemrc_cluster_backlog_users")
	require.NoError(t, err)
	assert.Equal(t, 32474.0, v)
	_, err = parseMetric(body, "onemrc_cluster_resync_shards")
	assert.Error(t, err)
}

func TestSameSumIsExact(t *testing.T) {
	assert.True(t, sameSum(json.Number("149850000"), "149850000"))
	assert.True(t, sameSum(json.Number("4.995e+09"), "4995000000"))
	assert.True(t, sameSum(json.Number("0.5"), "1/2"))
	assert.False(t, sameSum(json.Number("149850001"), "149850000"))
	assert.False(t, sameSum(json.Number("x"), "1"))
}

func TestFormatTable(t *testing.T) {
	got := formatTable([]string{"measure", "value", "target"}, [][]string{
		{"worst PING, ms", "3.5", "<= 50"},
		{"bytes", "11.6", ""},
	})
	want := "measure         value  target\n" +
		"worst PING, ms    3.5   <= 50\n" +
		"bytes            11.6\n"
	assert.Equal(t, want, got)
}

func TestMedian(t *testing.T) {
	id := func(v float64) float64 { return v }
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}, id))
	assert.Equal(t, 3.0, median([]float64{4, 1, 3, 2}, id), "the upper middle of an even count")
}
