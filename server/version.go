package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version and revision are stamped at build time by `just build` and `just release`:
//
//	-ldflags "-X main.version=$(git describe --tags --match 'v*' --dirty) -X main.revision=$(git rev-parse --short=7 HEAD)"
//
// Without them (go build, go install) they come from the build info Go records.
var version, revision string

// revisionLen is how many hex digits of the commit a version line shows, as git's short
// hashes do.
const revisionLen = 7

// buildInfo returns the daemon's version (v0.1.0, v0.1.0-3-dirty: three commits after
// the tag, uncommitted changes) and its commit (abc1234), neither carrying the other:
// git describe's "-g<hash>" and a pseudo-version's hash are dropped from the version,
// since the revision says it. Either is "unknown" when nothing recorded it. These, with
// runtime.Version(), are the labels of onemrc_build_info.
func buildInfo() (ver, rev string) {
	ver, rev = version, revision
	if info, ok := debug.ReadBuildInfo(); ok {
		if ver == "" {
			ver = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && rev == "" {
				rev = s.Value
			}
		}
	}
	if len(rev) > revisionLen {
		rev = rev[:revisionLen]
	}
	ver = stripRevision(ver, rev)
	if ver == "" || ver == "(devel)" {
		ver = "unknown"
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev
}

// stripRevision removes the commit from a version: git describe's "-g<hash>"
// (v0.1.0-3-gabc1234-dirty is v0.1.0-3-dirty) and a Go pseudo-version's 12-digit hash
// (v0.0.0-20261130091735-aad1bca12345+dirty is v0.0.0-20261130091735+dirty). A version
// that is only the hash (git describe --always before the first tag) becomes v0.0.0.
func stripRevision(ver, rev string) string {
	if rev == "" {
		return ver
	}
	base, suffix := ver, ""
	if i := strings.IndexByte(ver, '+'); i >= 0 {
		base, suffix = ver[:i], ver[i:]
	}
	if d, ok := strings.CutSuffix(base, "-dirty"); ok {
		base, suffix = d, "-dirty"+suffix
	}
	i := strings.LastIndexAny(base, "-.")
	last := base[i+1:]
	if strings.HasPrefix(last, "g") && strings.HasPrefix(last[1:], rev) {
		last = last[1:]
	}
	if len(last) < revisionLen || !strings.HasPrefix(last, rev) {
		return ver
	}
	if i < 0 {
		return "v0.0.0" + suffix // no tag yet
	}
	return base[:i] + suffix
}

// buildVersion is the version without the revision (the startup line's version).
func buildVersion() string {
	v, _ := buildInfo()
	return v
}

// versionLine is what -version prints: onemrcd v0.1.0 (rev abc1234, go1.26.0).
func versionLine() string {
	v, r := buildInfo()
	return fmt.Sprintf("onemrcd %s (rev %s, %s)", v, r, runtime.Version())
}

// buildRevision is the commit the daemon was built from, 7 hex digits.
func buildRevision() string {
	_, r := buildInfo()
	return r
}
