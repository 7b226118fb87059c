# onemrc recipes. `just` lists them.

default:
    @just --list

# The version and commit stamped into the binary (onemrcd -version): git describe when
# this is a git checkout (v0.1.0, v0.1.0-3-gabc1234-dirty; the daemon prints the hash once),
# otherwise empty and the daemon reads Go's build info.
version := `git describe --tags --match 'v[0-9]*' --dirty --always 2>/dev/null || true`
revision := `git rev-parse --short=7 HEAD 2>/dev/null || true`
ldflags := "-X main.version=" + version + " -X main.revision=" + revision

# Build the daemon binary ./onemrcd, stamped with its version.
build:
    go build -ldflags '{{ldflags}}' -o onemrcd ./server
    ./onemrcd -version

# Release binaries in dist/: static (CGO_ENABLED=0), -trimpath, stripped, stamped, per
# GOOS/GOARCH pair (default linux/amd64 and linux/arm64), with their SHA256SUMS.
release *TARGETS="linux/amd64 linux/arm64":
    #!/usr/bin/env bash
    set -euo pipefail
    mkdir -p dist
    for target in {{TARGETS}}; do
        os="${target%/*}" arch="${target#*/}"
        out="dist/onemrcd-{{version}}-${os}-${arch}"
        CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" go build -trimpath \
            -ldflags '-s -w {{ldflags}}' -o "$out" ./server
        echo "$out"
    done
    (cd dist && sha256sum onemrcd-{{version}}-* > SHA256SUMS)
    ./dist/onemrcd-{{version}}-linux-amd64 -version 2>/dev/null || true

# Run the daemon on :8080 (pass flags: just run -loops 4).
run *FLAGS:
    go run ./server {{FLAGS}}

# The 1MRC challenge: 1,000,000 events over 1,000 connections against a fresh daemon
# (its log in $TMPDIR/onemrc-logs; -log-dir DIR to choose).
challenge *FLAGS:
    go run ./benchmarks/challenge {{FLAGS}}

# Every test, with the race detector (the README's test command).
test:
    go test -race ./...

# Fuzz every target for SECONDS each (default 60).
fuzz SECONDS="60":
    #!/usr/bin/env bash
    set -euo pipefail
    for pkg in $(go list ./...); do
        for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
            echo "== $pkg $target"
            go test -run='^$' -fuzz="^${target}\$" -fuzztime={{SECONDS}}s "$pkg"
        done
    done

# Every Go benchmark, short.
bench:
    go test -run='^$' -bench=. -benchmem -benchtime=200ms ./...

# Per-stage benchmarks beside their baselines, pinned to one core, as one table
# (just stages -cpu: process CPU time instead of wall time, for a busy machine).
stages *FLAGS:
    #!/usr/bin/env bash
    set -euo pipefail
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    go build -o "$tmp/table" ./benchmarks/stages/table
    raw="${TMPDIR:-/tmp}/onemrc-stages.txt"
    pin=()
    if command -v taskset >/dev/null; then pin=(taskset -c 1); fi
    "${pin[@]}" go test -run '^$' -bench . -benchmem -count 10 -benchtime 200ms ./benchmarks/stages/ \
        | tee "$raw" | "$tmp/table" {{FLAGS}}
    echo "raw go test output: $raw"

# SIGKILL onemrcd under load and check that every acknowledged event survives, per -fsync mode.
crash *FLAGS:
    go run ./benchmarks/crash {{FLAGS}}

# CPU profile of onemrcd under the 1MRC load for SECONDS; prints the top functions
# (profile and binary kept in $TMPDIR/onemrc-logs; -out DIR to choose).
profile SECONDS="10" *FLAGS:
    go run ./benchmarks/profile -seconds {{SECONDS}} {{FLAGS}}

# onemrc beside net/http, fasthttp and nginx under wrk (installs wrk and nginx-light).
# Results go to a temp folder; `just compare -out benchmarks/results` rewrites the committed ones.
compare *FLAGS:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
    fi
    go run ./benchmarks/compare {{FLAGS}}

# Hostile clients (idle floods, endless bodies, huge headers, non-readers, resets): RSS per scenario
# (printed; -write-readme rewrites the blocks of benchmarks/hostile/README.md).
hostile *FLAGS:
    go run ./benchmarks/hostile {{FLAGS}}

# What cluster mode costs (installs redis-server): challenge rounds alone vs -cluster;
# -scenario resync (Redis restarted empty under a 10M-user node) or nodes3 (three nodes).
# Printed; `-out benchmarks/results/cluster-cost.md` rewrites the committed cost table.
cluster-cost *FLAGS:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v redis-server >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    fi
    go run ./benchmarks/clustercost {{FLAGS}}

# A cluster node's resync after its Redis restarted empty, 10M users (just cluster-cost -scenario resync).
cluster-resync *FLAGS:
    just cluster-cost -scenario resync {{FLAGS}}

# Three cluster nodes against three daemons alone: CPU per request, exact /stats.
cluster-nodes3 *FLAGS:
    just cluster-cost -scenario nodes3 {{FLAGS}}
