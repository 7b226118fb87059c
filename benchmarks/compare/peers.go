package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/onemrc/onemrc/benchmarks/internal/nginx"
)

// peer is one server under comparison.
type peer struct {
	Name string
	// HasStats says the peer serves /stats, so its counts can be checked.
	HasStats bool
	// build compiles the peer into binDir; nil for a system binary.
	build func(env *environment) error
	// command returns the server's argv for a loopback port; workDir is a
	// fresh folder the peer may write into.
	command func(env *environment, port int, workDir string) ([]string, error)
}

// allPeers are the known peers, in the order a round runs them.
var allPeers = []peer{
	{
		Name:     "onemrc",
		HasStats: true,
		build: func(env *environment) error {
			return goBuild(env.root, filepath.Join(env.binDir, "onemrcd"), "./server")
		},
		command: func(env *environment, port int, _ string) ([]string, error) {
			bin := env.onemrcd
			if bin == "" {
				bin = filepath.Join(env.binDir, "onemrcd")
			}
			// One event loop: the server gets one CPU, like every peer.
			return []string{bin,
				"-addr", loopback(port), "-loops", "1", "-admin-addr", ""}, nil
		},
	},
	goPeer("nethttp"),
	goPeer("fasthttp"),
	{
		Name: "nginx",
		command: func(env *environment, port int, workDir string) ([]string, error) {
			args, err := nginxConfig(workDir, port).Write()
			if err != nil {
				return nil, err
			}
			return append([]string{env.nginx}, args...), nil
		},
	},
}

// goPeer is a peer main package under benchmarks/peers (its own module).
func goPeer(name string) peer {
	return peer{
		Name:     name,
		HasStats: true,
		build: func(env *environment) error {
			return goBuild(filepath.Join(env.root, "benchmarks", "peers"),
				filepath.Join(env.binDir, "peer-"+name), "./"+name)
		},
		command: func(env *environment, port int, _ string) ([]string, error) {
			return []string{filepath.Join(env.binDir, "peer-"+name), "-addr", loopback(port)}, nil
		},
	}
}

// nginxConfig is the no-work limit: answer 200 to everything, one process.
//
// master_process off keeps nginx in the single process the harness starts,
// so its /proc figures are the whole server (worker_processes 1 says the same
// for a reader who turns the master back on). worker_connections must exceed
// the 1,000 connections of mode c1000.
func nginxConfig(dir string, port int) nginx.Config {
	return nginx.Config{Dir: dir, Listen: loopback(port),
		Main: []string{"master_process off", "worker_processes 1"}, WorkerConnections: 4096}
}

// goBuild runs `go build -o out pkg` in dir.
func goBuild(dir, out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s in %s: %w", pkg, dir, err)
	}
	return nil
}

func loopback(port int) string {
	return "127.0.0.1:" + strconv.Itoa(port)
}

// selectPeers returns the named peers in the given order.
func selectPeers(names []string) ([]peer, error) {
	return selectNamed(names, allPeers, func(p peer) string { return p.Name }, "peer")
}

// selectNamed returns the items of all whose name is in names, in the order of names;
// kind says what an unknown name should have named.
func selectNamed[T any](names []string, all []T, name func(T) string, kind string) ([]T, error) {
	var out []T
	for _, n := range names {
		found := false
		for _, item := range all {
			if name(item) == n {
				out = append(out, item)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown %s %q", kind, n)
		}
	}
	return out, nil
}

// mode is one load shape.
type mode struct {
	Name   string `json:"name"`
	Conns  int64  `json:"connections"`
	Depth  int64  `json:"depth"`
	Script string `json:"script"` // under benchmarks/wrk
}

var allModes = []mode{
	{Name: "c1000", Conns: 1000, Depth: 1, Script: "events.lua"},
	{Name: "c100", Conns: 100, Depth: 1, Script: "events.lua"},
	{Name: "pipe16", Conns: 100, Depth: 16, Script: "pipeline.lua"},
}

// selectModes returns the named modes in the given order.
func selectModes(names []string) ([]mode, error) {
	return selectNamed(names, allModes, func(m mode) string { return m.Name }, "mode")
}
