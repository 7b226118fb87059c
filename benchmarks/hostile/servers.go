package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// server is one kind of server the scenarios attack: an onemrcd binary, a daemon
// started by hand (-addr, -pid), or nginx.
type server struct {
	Label string
	// About says what ran, for the report.
	About func(sc scenario) string
	// start readies a fresh server for sc and returns it and how to stop it (nil: not
	// this program's to stop).
	start func(sc scenario, opts options) (target, func() string, error)
	// shared is the one daemon every scenario uses under -shared.
	shared *daemon
}

// onemrcdServers are the onemrcd servers of this run: the -addr daemon, or one per
// -daemon binary (built is this module's, for "build").
func onemrcdServers(opts options, built string) []*server {
	if opts.Addr != "" {
		return []*server{{
			Label: "onemrcd",
			About: func(sc scenario) string {
				s := fmt.Sprintf("onemrcd: the daemon at %s (PID %d), started by hand", opts.Addr, opts.PID)
				if len(sc.DaemonArgs) > 0 {
					s += "; this scenario needs it started with `" + strings.Join(sc.DaemonArgs, " ") + "`"
				}
				return s
			},
			start: func(scenario, options) (target, func() string, error) {
				return target{Label: "onemrcd", Addr: opts.Addr, PIDs: []int{opts.PID},
					Alive: func() bool { return processAlive(opts.PID) }}, nil, nil
			},
		}}
	}
	var out []*server
	for _, d := range opts.Daemons {
		bin, label, what := d, filepath.Base(d), d
		if d == "build" {
			bin, label, what = built, "onemrcd", "this module's ./server"
		}
		s := &server{Label: label}
		s.About = func(sc scenario) string {
			args := []string{"-addr", "127.0.0.1:PORT", "-admin-addr", `""`, "-loops", fmt.Sprint(opts.Loops)}
			if !opts.Shared {
				args = append(args, sc.DaemonArgs...)
			}
			return fmt.Sprintf("%s: %s, `onemrcd %s`", label, what, strings.Join(args, " "))
		}
		s.start = func(sc scenario, opts options) (target, func() string, error) {
			var d *daemon
			var err error
			switch {
			case opts.Shared && s.shared != nil:
				d = s.shared
			case opts.Shared:
				if d, err = startDaemon(opts.tmp, bin, opts.Loops, nil); err != nil {
					return target{}, nil, err
				}
				s.shared = d
			default:
				if d, err = startDaemon(opts.tmp, bin, opts.Loops, nil, sc.DaemonArgs...); err != nil {
					return target{}, nil, err
				}
			}
			t := target{Label: label, Addr: d.Addr, PIDs: []int{d.PID()}, Alive: d.Alive}
			if opts.Shared {
				return t, nil, nil
			}
			return t, d.stop, nil
		}
		out = append(out, s)
	}
	return out
}

// nginxServerSpec is nginx `return 200` with workers worker processes, fresh for every
// attack.
func nginxServerSpec(bin string, workers int) *server {
	version := bin
	if out, err := exec.Command(bin, "-v").CombinedOutput(); err == nil {
		version = strings.TrimPrefix(strings.TrimSpace(string(out)), "nginx version: ")
	}
	return &server{
		Label: "nginx",
		About: func(scenario) string { return "nginx: " + version + ", " + nginxCommand(workers) },
		start: func(scenario, options) (target, func() string, error) {
			n, err := startNginx(bin, workers)
			if err != nil {
				return target{}, nil, err
			}
			return target{Label: "nginx", Addr: n.addr, PIDs: n.pids(), Alive: n.alive}, n.stop, nil
		},
	}
}
