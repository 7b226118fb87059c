package cluster

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/internal/redistest"
)

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"redis://h:6379/0":                     "redis://h:6379/0",
		"redis://user@h:6379/0":                "redis://user@h:6379/0",
		"redis://user:@h:6379/0":               "redis://user:@h:6379/0",
		"redis://user:pw@h:6379/0":             "redis://user:xxxxx@h:6379/0",
		"rediss://:pw@h:6379/0":                "rediss://:xxxxx@h:6379/0",
		"redis://u:p@w:o/r#d?@h:1/0":           "redis://u:xxxxx@h:1/0", // the last '@' ends it
		"u:pw@h:1":                             "u:xxxxx@h:1",           // no scheme
		"-cluster=redis://u:pw@h:1/0":          "-cluster=redis://u:xxxxx@h:1/0",
		"redis://h:1/0?client_name=a:b":        "redis://h:1/0?client_name=a:b",
		"":                                     "",
		"@":                                    "@",
		"redis://@":                            "redis://@",
		"redis://u:p%40w@h:1/0?dial_timeout=3": "redis://u:xxxxx@h:1/0?dial_timeout=3",
		"u:pw@redis://h:1/0":                   "u:xxxxx@redis://h:1/0", // the scheme forgotten in front
	} {
		assert.Equal(t, want, Redact(in), in)
		assert.Equal(t, want != in, HasPassword(in), in)
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want redis.UniversalOptions // TLSConfig: only its ServerName is compared
	}{
		{"redis://h:1/2", redis.UniversalOptions{Addrs: []string{"h:1"}, DB: 2}},
		{"redis://h", redis.UniversalOptions{Addrs: []string{"h:6379"}}},
		{"redis://h/", redis.UniversalOptions{Addrs: []string{"h:6379"}}},
		{"redis://h:1?", redis.UniversalOptions{Addrs: []string{"h:1"}}},
		{"REDIS://h:1/0", redis.UniversalOptions{Addrs: []string{"h:1"}}},
		{"redis://10.0.0.5:6380/15", redis.UniversalOptions{Addrs: []string{"10.0.0.5:6380"}, DB: 15}},
		{"redis://[::1]:7000,[fe80::1%25eth0]", redis.UniversalOptions{Addrs: []string{"[::1]:7000", "[fe80::1%25eth0]:6379"}}},
		{"redis://u:p%40w@h:1/0", redis.UniversalOptions{Addrs: []string{"h:1"}, Username: "u", Password: "p@w"}},
		{"redis://:s3cr%2Fet@h", redis.UniversalOptions{Addrs: []string{"h:6379"}, Password: "s3cr/et"}},
		{"redis://u%3Ax@h", redis.UniversalOptions{Addrs: []string{"h:6379"}, Username: "u:x"}},
		{"redis://u:p:w@h", redis.UniversalOptions{Addrs: []string{"h:6379"}, Username: "u", Password: "p:w"}},
		{"redis://u:p@w@h", redis.UniversalOptions{Addrs: []string{"h:6379"}, Username: "u", Password: "p@w"}},
		{"redis://h1:7000,h2:7001,h3/0", redis.UniversalOptions{Addrs: []string{"h1:7000", "h2:7001", "h3:6379"}}},
		{"rediss://u:pw@h1:7000,h2:7001", redis.UniversalOptions{Addrs: []string{"h1:7000", "h2:7001"}, Username: "u", Password: "pw",
			TLSConfig: &tls.Config{ServerName: "h1"}}},
		{"rediss://[::1]:1/3", redis.UniversalOptions{Addrs: []string{"[::1]:1"}, DB: 3, TLSConfig: &tls.Config{ServerName: "::1"}}},
		{"redis-sentinel://s1,s2:5000/3?master=mymaster", redis.UniversalOptions{Addrs: []string{"s1:26379", "s2:5000"}, DB: 3, MasterName: "mymaster"}},
		{"redis-sentinel://u:s3cr%2Fet@s1:1?master=a%2Fb", redis.UniversalOptions{Addrs: []string{"s1:1"}, Username: "u", Password: "s3cr/et", MasterName: "a/b"}},
	} {
		t.Run(tc.url, func(t *testing.T) {
			opts, err := parseURL(tc.url)
			require.NoError(t, err)
			if tc.want.TLSConfig == nil {
				assert.Nil(t, opts.TLSConfig)
			} else if assert.NotNil(t, opts.TLSConfig) {
				assert.Equal(t, tc.want.TLSConfig.ServerName, opts.TLSConfig.ServerName)
				assert.Equal(t, uint16(tls.VersionTLS12), opts.TLSConfig.MinVersion)
				tc.want.TLSConfig = opts.TLSConfig
			}
			assert.Equal(t, &tc.want, opts)
		})
	}
}

// Every error names the URL redacted, and quotes no piece of the password, encoded or
// not: net/url's errors would quote the URL, and whatever of it they took for a port, a
// path or an escape. {pw} is the password as the URL carries it.
func TestParseURLErrors(t *testing.T) {
	tests := []struct{ url, want string }{
		{"ftp://u:{pw}@h:1/0", `scheme "ftp": want redis://`},
		{"rediss-sentinel://u:{pw}@h:1/0?master=m", `scheme "rediss-sentinel"`},
		{"unix://u:{pw}@/tmp/redis.sock", `scheme "unix"`},
		{"u:{pw}@h:1/0", "want redis://, rediss:// or redis-sentinel:// at the start"},
		{"u:{pw}@redis://h:1/0", "at the start"},
		{"://u:{pw}@h:1/0", "at the start"},
		{"redis://u:{pw}@h:x1/0", `the port "x1" is not a number`},
		{"redis://u:{pw}@h:/0", `the port "" is not a number`},
		{"redis://u:{pw}@h:0", `the port "0" is not a number`},
		{"redis://u:{pw}@h:65536", `the port "65536" is not a number`},
		{"redis://u:{pw}@/0", `address "": no host`},
		{"redis://u:{pw}@", `address "": no host`},
		{"redis://u:{pw}@:1", `address ":1": no host`},
		{"redis://u:{pw}@h1,,h2", `address "": no host`},
		{"redis://u:{pw}@[::1/0", "no ']'"},
		{"redis://u:{pw}@[::1]x", "want [ipv6]:port"},
		{"redis://u:{pw}@::1", "in brackets"},
		{"redis://u:12/{pw}@h:1/0", "must be percent-encoded"},
		{"redis://u:{pw}?q@h:1/0", "must be percent-encoded"},
		{"redis://u:{pw}#q@h:1/0", "must be percent-encoded"},
		{"redis://u:{pw}%z@h:1/0", "a '%' in the password is not followed by two hex digits"},
		{"redis://u%zz:{pw}@h:1/0", "a '%' in the user name is not followed by two hex digits"},
		{"redis://u:{pw}@h:1/x", `the path "/x" is not /N`},
		{"redis://u:{pw}@h:1/-1", `the path "/-1"`},
		{"redis://u:{pw}@h:1/0/1", `the path "/0/1"`},
		{"redis://u:{pw}@h:1/99999999999", `the path "/99999999999"`},
		{"redis://u:{pw}@h:1/0#frag", `a fragment ("#frag")`},
		{"redis://u:{pw}@h:1/0?bogus=1", `unknown parameter "bogus": redis:// and rediss:// URLs take none`},
		{"redis://u:{pw}@h:1/0?dial_timeout=3s", `unknown parameter "dial_timeout"`},
		{"redis://u:{pw}@h:1/0?%zz", "the query"},
		{"redis://u:{pw}@h:1/0?master=m", "master= is for redis-sentinel:// URLs only"},
		{"redis://u:{pw}@h1,h2/1", "a cluster has database 0 only, not 1"},
		{"rediss://u:{pw}@h1,h2/2", "a cluster has database 0 only, not 2"},
		{"redis-sentinel://u:{pw}@s1", "needs ?master=NAME"},
		{"redis-sentinel://u:{pw}@s1/0?master=", "needs ?master=NAME"},
		{"redis-sentinel://u:{pw}@s1?master=a&master=b", "more than once"},
		{"redis-sentinel://u:{pw}@s1?master=a&sentinel_password=x", `unknown parameter "sentinel_password": redis-sentinel:// URLs take master= only`},
		{"redis-sentinel://u:{pw}@s1:x?master=a", `the port "x"`},
	}
	for _, pw := range []struct{ plain, encoded string }{
		{"Qz9xK7vJ", "Qz9xK7vJ"},
		{"s3cr/et", "s3cr%2Fet"},
	} {
		for _, tc := range tests {
			rawURL := strings.ReplaceAll(tc.url, "{pw}", pw.encoded)
			t.Run(rawURL, func(t *testing.T) {
				_, err := parseURL(rawURL)
				require.Error(t, err)
				msg := err.Error()
				assert.Contains(t, msg, tc.want)
				assert.Contains(t, msg, "-cluster ")
				assert.Contains(t, msg, ":xxxxx@", "the URL, redacted")
				for _, secret := range []string{pw.plain, pw.encoded} {
					for i := 0; i+3 <= len(secret); i++ {
						assert.NotContains(t, msg, secret[i:i+3])
					}
				}
			})
		}
	}
}

// newClient picks the client the server needs: given one address of a Redis Cluster,
// a cluster client, which follows the slots that a plain client would get MOVED for.
func TestNewClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// dial is how the node dials: parseURL, then the caller's timeouts and retries.
	dial := func(t *testing.T, rawURL string) (redis.UniversalClient, error) {
		opts, err := parseURL(rawURL)
		require.NoError(t, err)
		opts.ReadTimeout, opts.WriteTimeout, opts.DialTimeout = time.Second, time.Second, time.Second
		opts.MaxRetries = -1
		return newClient(ctx, opts)
	}
	// setGet writes and reads back keys on three different slots.
	setGet := func(t *testing.T, rdb redis.UniversalClient) {
		for _, key := range []string{"{a}x", "{b}x", "{c}x"} {
			require.NoError(t, rdb.Set(ctx, key, "v"+key, 0).Err(), key)
			got, err := rdb.Get(ctx, key).Result()
			require.NoError(t, err, key)
			assert.Equal(t, "v"+key, got)
		}
	}

	t.Run("one address of a cluster", func(t *testing.T) {
		c := redistest.StartCluster(t, 3)
		moved := 0
		for _, key := range []string{"{a}x", "{b}x", "{c}x"} {
			if strings.HasPrefix(c.Node(0).Do("SET", key, "plain"), "-MOVED ") {
				moved++
			}
		}
		require.Positive(t, moved, "a plain client on node 0 reaches every key: the test proves nothing")

		rdb, err := dial(t, "redis://"+c.Node(0).Addr())
		require.NoError(t, err)
		defer rdb.Close()
		assert.IsType(t, &redis.ClusterClient{}, rdb)
		setGet(t, rdb)

		_, err = dial(t, "redis://"+c.Node(0).Addr()+"/1")
		assert.ErrorContains(t, err, "database 0 only, not 1")
	})
	t.Run("a seed list", func(t *testing.T) {
		c := redistest.StartCluster(t, 3)
		rdb, err := dial(t, c.URL())
		require.NoError(t, err)
		defer rdb.Close()
		assert.IsType(t, &redis.ClusterClient{}, rdb)
		setGet(t, rdb)
	})
	t.Run("a standalone server", func(t *testing.T) {
		s := redistest.Start(t)
		rdb, err := dial(t, "redis://"+s.Addr()+"/3")
		require.NoError(t, err)
		defer rdb.Close()
		assert.IsType(t, &redis.Client{}, rdb)
		setGet(t, rdb)
		assert.Equal(t, "0", s.Do("DBSIZE"), "the keys went to database 3")
	})
	t.Run("a password", func(t *testing.T) {
		const pw = "s3cr/et"
		s := redistest.Start(t, "--requirepass", pw)
		rdb, err := dial(t, "redis://:s3cr%2Fet@"+s.Addr())
		require.NoError(t, err)
		defer rdb.Close()
		setGet(t, rdb)

		_, err = dial(t, "redis://:wr0ng%2Fpw@"+s.Addr())
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "wr0ng")
	})
	t.Run("a sentinel", func(t *testing.T) {
		master := redistest.Start(t, "--requirepass", "s3cr/et")
		sentinel := redistest.StartSentinel(t, master, "mymaster")
		rdb, err := dial(t, "redis-sentinel://:s3cr%2Fet@"+sentinel.Addr()+"/2?master=mymaster")
		require.NoError(t, err)
		defer rdb.Close()
		setGet(t, rdb)
		assert.Equal(t, "0", master.Do("DBSIZE"), "the keys went to database 2")
	})
	t.Run("nobody there", func(t *testing.T) {
		s := redistest.Start(t)
		s.Stop()
		_, err := dial(t, "redis://:pw@"+s.Addr())
		assert.ErrorContains(t, err, "asking "+s.Addr())
	})
}
