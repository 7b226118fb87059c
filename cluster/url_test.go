package cluster

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
