package cluster

import (
	"strings"
	"testing"

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

// A URL that does not parse is reported redacted, and without a piece of the password:
// net/url's errors quote the URL, and whatever of it they took for a port, path or escape.
func TestParseURLHidesThePassword(t *testing.T) {
	const pw = "Qz9xK7vJ"
	for _, tc := range []struct{ url, want string }{
		{"redis://u:" + pw + "@h:x1/0", `invalid port ":x1"`},
		{"redis://u:12/" + pw + "@h:1/0", "must be percent-encoded"},
		{"redis://u:" + pw + "?q@h:1/0", "must be percent-encoded"},
		{"redis://u:" + pw + "#q@h:1/0", "must be percent-encoded"},
		{"redis://u:" + pw + "%z@h:1/0", "not followed by two hex digits"},
		{"redis://u:" + pw + "@h:1/x", `invalid database number: "x"`},
		{"redis://u:" + pw + "@h:1/0?bogus=1", "unexpected option: bogus"},
		{"unix://u:" + pw + "@/tmp/x?db=z", "invalid database number"},
		{"ftp://u:" + pw + "@h:1/0", "invalid URL scheme"},
	} {
		_, err := parseURL(tc.url)
		require.Error(t, err, tc.url)
		assert.Contains(t, err.Error(), tc.want, tc.url)
		assert.Contains(t, err.Error(), "u:xxxxx@", tc.url)
		for i := 0; i+3 <= len(pw); i++ {
			assert.NotContains(t, err.Error(), pw[i:i+3], tc.url)
		}
	}
	opts, err := parseURL("rediss://u:p%40w@h:1/2")
	require.NoError(t, err)
	assert.Equal(t, "p@w", opts.Password)
	assert.Equal(t, "u", opts.Username)
	assert.NotNil(t, opts.TLSConfig)
	assert.True(t, strings.HasSuffix(opts.Addr, ":1"))
}
