package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStripRevision(t *testing.T) {
	for _, tc := range []struct{ ver, rev, want string }{
		{"v0.1.0", "abc1234", "v0.1.0"},
		{"v0.1.0-dirty", "abc1234", "v0.1.0-dirty"},
		{"v0.1.0-3-gabc1234", "abc1234", "v0.1.0-3"},
		{"v0.1.0-3-gabc1234-dirty", "abc1234", "v0.1.0-3-dirty"},
		{"abc1234", "abc1234", "v0.0.0"},
		{"abc1234-dirty", "abc1234", "v0.0.0-dirty"},
		{"v0.0.0-20261130091735-aad1bca12345", "aad1bca", "v0.0.0-20261130091735"},
		{"v0.0.0-20261130091735-aad1bca12345+dirty", "aad1bca", "v0.0.0-20261130091735+dirty"},
		{"v0.2.1-0.20261130091735-aad1bca12345", "aad1bca", "v0.2.1-0.20261130091735"},
		{"v1.2.3", "", "v1.2.3"},
		{"(devel)", "aad1bca", "(devel)"},
	} {
		assert.Equal(t, tc.want, stripRevision(tc.ver, tc.rev), "%s rev %s", tc.ver, tc.rev)
	}
}

// -version of a binary stamped as `just build` stamps it, and of one built plainly: the
// issue's format, and the hash once.
func TestVersionLine(t *testing.T) {
	line := regexp.MustCompile(`^onemrcd (v\d+\.\d+\.\d+\S*|unknown) \(rev ([0-9a-f]{7}|unknown), go\S+\)\n$`)
	out, err := exec.Command(daemonBin, "-version").Output()
	require.NoError(t, err)
	assert.Regexp(t, line, string(out))

	bin := filepath.Join(t.TempDir(), "onemrcd")
	build := exec.Command("go", "build", "-o", bin, "-ldflags",
		"-X main.version=v0.1.0-3-gabc1234-dirty -X main.revision=abc1234", ".")
	b, err := build.CombinedOutput()
	require.NoError(t, err, string(b))
	out, err = exec.Command(bin, "-version").Output()
	require.NoError(t, err)
	assert.Equal(t, "onemrcd v0.1.0-3-dirty (rev abc1234, "+runtime.Version()+")\n", string(out))
	assert.Equal(t, 1, strings.Count(string(out), "abc1234"))
}
