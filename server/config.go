package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onemrc/onemrc/cluster"
	"github.com/onemrc/onemrc/event"
	"github.com/onemrc/onemrc/httpparse"
	"github.com/onemrc/onemrc/loop"
	"github.com/onemrc/onemrc/pipeline"
)

// config is everything the daemon can be told at startup.
type config struct {
	configFile                    string
	addr                          string
	adminAddr                     string
	metricsAddr                   string
	loops                         int
	reusePort                     bool
	limits                        httpparse.Limits
	maxOutput                     int
	maxBatchBytes, maxBatchEvents int
	maxConns                      int
	timeouts                      loop.Timeouts
	dataDir                       string
	ckptEvery                     time.Duration
	fsync                         fsyncFlag
	fsyncEvery                    time.Duration
	cluster                       string
	passFile                      string // -cluster-password-file
	password                      string // the cluster's password from passFile or REDISCLI_AUTH; never printed
	prevPass                      string // cluster.PreviousPasswordEnv: the password before a change; never printed
	nodeID                        string
	flushEvery                    time.Duration
	drainTime                     time.Duration // -drain-timeout
	logFormat                     logFormatFlag
	logLevel                      logLevelFlag
	memory                        memoryConfig // -gc-percent, -memory-limit (memory.go)
	version                       bool
}

// envPrefix names the environment variable behind every flag: -max-body is
// ONEMRC_MAX_BODY. A flag on the command line wins over its variable. A variable that is
// set, even to the empty string, sets its flag: ONEMRC_ADMIN_ADDR= disables the admin
// listener as -admin-addr= does, and ONEMRC_LOOPS= is an error as -loops= is.
const envPrefix = "ONEMRC_"

func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseConfig builds the configuration from, in rising precedence: the built-in
// defaults, the config file (-config or ONEMRC_CONFIG), the environment (ONEMRC_*), and the
// command line. Bad values in any of them are errors; flag.ErrHelp asks for the usage only.
// lookupEnv is os.LookupEnv: it tells an empty variable from an unset one.
func parseConfig(args []string, lookupEnv func(string) (string, bool), usageOut io.Writer) (config, error) {
	getenv := func(k string) string { v, _ := lookupEnv(k); return v }
	// A first pass over the command line finds -config; it also prints the usage for -h
	// or a malformed flag, so the second pass below parses args that are known good.
	var probe config
	if err := newFlagSet(&probe, usageOut).Parse(args); err != nil {
		return probe, err
	}
	configFile := probe.configFile
	if configFile == "" {
		configFile = getenv(envName("config"))
	}

	cfg := config{}
	fs := newFlagSet(&cfg, usageOut)
	if configFile != "" {
		if err := applyConfigFile(fs, configFile); err != nil {
			return cfg, err
		}
	}
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		v, set := lookupEnv(envName(f.Name))
		if !set || envErr != nil || f.Name == "config" {
			return
		}
		if err := f.Value.Set(v); err != nil {
			envErr = fmt.Errorf("invalid value %q for %s: %v", v, envName(f.Name), err)
		}
	})
	if envErr != nil {
		return cfg, envErr
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := cfg.validate(); err != nil {
		return cfg, err
	}
	return cfg, cfg.readPassword(getenv)
}

// passwordEnv is the variable redis-cli takes its password from; onemrcd does too, so
// that neither the command line nor /debug/pprof/cmdline carries it.
const passwordEnv = "REDISCLI_AUTH"

// readPassword sets c.password from -cluster-password-file (its content, trimmed) or
// REDISCLI_AUTH. A password given in two places is refused rather than ranked: which one
// the operator meant is not ours to guess. Errors name the sources, never the password.
func (c *config) readPassword(getenv func(string) string) error {
	var sources []string
	if cluster.HasPassword(c.cluster) {
		sources = append(sources, "the -cluster URL")
	}
	if c.passFile != "" {
		if c.cluster == "" {
			return errors.New("-cluster-password-file: needs -cluster")
		}
		data, err := os.ReadFile(c.passFile)
		if err != nil {
			return fmt.Errorf("-cluster-password-file: %w", err)
		}
		if c.password = strings.TrimSpace(string(data)); c.password == "" {
			return fmt.Errorf("-cluster-password-file %s: empty", c.passFile)
		}
		sources = append(sources, "-cluster-password-file")
	}
	if p := getenv(passwordEnv); p != "" && c.cluster != "" {
		c.password = p
		sources = append(sources, passwordEnv)
	}
	if len(sources) > 1 {
		return fmt.Errorf("the cluster password is given by %s: give it in one place", strings.Join(sources, " and "))
	}
	c.prevPass = getenv(cluster.PreviousPasswordEnv)
	return nil
}

// newFlagSet declares every option of the daemon, writing into cfg.
func newFlagSet(cfg *config, usageOut io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("onemrcd", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	fs.StringVar(&cfg.configFile, "config", "", "JSON file of options, keyed by flag name: {\"addr\": \":8080\", \"loops\": 2}")
	fs.StringVar(&cfg.addr, "addr", ":8080", "listen address host:port")
	fs.StringVar(&cfg.adminAddr, "admin-addr", "127.0.0.1:6060", "admin listener (/metrics, /debug/pprof) host:port; pprof shows the process's internals, so keep it on loopback; empty disables it")
	fs.StringVar(&cfg.metricsAddr, "metrics-addr", "", "listener serving /metrics alone (no pprof), host:port, for a scraper on another host; empty disables it")
	fs.IntVar(&cfg.loops, "loops", runtime.GOMAXPROCS(0), "event loops; the default is GOMAXPROCS (the CPUs this process may use, a container's CPU limit included)")
	fs.BoolVar(&cfg.reusePort, "reuseport", false, "give each loop its own SO_REUSEPORT listener")
	fs.IntVar(&cfg.limits.MaxBody, "max-body", httpparse.DefaultMaxBody, "largest request body in bytes (413 beyond)")
	fs.IntVar(&cfg.maxBatchBytes, "max-batch-bytes", pipeline.DefaultMaxBatchBytes, "largest POST /events body in bytes, as sent and once a gzip body is inflated (413 beyond)")
	fs.IntVar(&cfg.maxBatchEvents, "max-batch-events", pipeline.DefaultMaxBatchEvents, "most events in one POST /events batch (413 beyond)")
	fs.IntVar(&cfg.limits.MaxRequestLine, "max-request-line", httpparse.DefaultMaxRequestLine, "longest request line in bytes (414 beyond)")
	fs.IntVar(&cfg.limits.MaxHeaderBytes, "max-header-bytes", httpparse.DefaultMaxHeaderBytes, "largest header section in bytes (431 beyond)")
	fs.IntVar(&cfg.limits.MaxHeaders, "max-headers", httpparse.DefaultMaxHeaders, "most header fields in a request (431 beyond)")
	fs.IntVar(&cfg.maxOutput, "max-pending-output", pipeline.DefaultMaxPendingOutput, "most answer bytes one read's pipelined requests may queue for a client; past it the client is answered up to it and closed")
	fs.IntVar(&cfg.maxConns, "max-conns", 100_000, "most open connections; one more is answered 503 and closed (0: no cap)")
	fs.DurationVar(&cfg.timeouts.Header, "header-timeout", loop.DefaultHeaderTimeout, "time from a request's first byte to the end of its headers (408 beyond)")
	fs.DurationVar(&cfg.timeouts.Body, "body-timeout", loop.DefaultBodyTimeout, "time from the end of the headers to the end of the body (408 beyond)")
	fs.DurationVar(&cfg.timeouts.Idle, "idle-timeout", loop.DefaultIdleTimeout, "time a keep-alive connection may wait for its next request")
	fs.StringVar(&cfg.dataDir, "data-dir", "", "directory of the write-ahead log and snapshots of the stats; empty keeps them in memory only")
	fs.Var(&cfg.fsync, "fsync", "with -data-dir: always (answer once an fdatasync covers the event), interval (sync every -fsync-interval), off (the kernel syncs); a crash loses nothing acknowledged in any mode")
	fs.DurationVar(&cfg.fsyncEvery, "fsync-interval", time.Second, "time between syncs of the log with -fsync interval: what a power cut may lose")
	fs.DurationVar(&cfg.ckptEvery, "checkpoint-interval", time.Minute, "with -data-dir: the longest a closed log segment waits before it is folded into a new snapshot")
	fs.StringVar(&cfg.cluster, "cluster", "", "Redis to merge /stats through: redis://[user@]host:port/db, rediss:// (TLS), redis://h1:p,h2:p (Redis Cluster), redis-sentinel://s1:p,s2:p/db?master=name (a password: -cluster-password-file or REDISCLI_AUTH, not the URL); empty runs alone")
	fs.StringVar(&cfg.passFile, "cluster-password-file", "", "file whose content (trimmed) is the password of -cluster's redis, kept off the command line; REDISCLI_AUTH gives it too")
	fs.StringVar(&cfg.nodeID, "node-id", "", "this daemon's name in the cluster; empty means hostname:port")
	fs.DurationVar(&cfg.flushEvery, "flush-interval", 100*time.Millisecond, "time between flushes to the cluster")
	fs.DurationVar(&cfg.drainTime, "drain-timeout", 5*time.Second, "on SIGTERM or SIGINT: how long /ready answers 503 while the daemon keeps serving, for load balancers to stop sending, before connections are let go as their requests finish (0: at once)")
	fs.Var(&cfg.logFormat, "log-format", "text (key=value lines) or json (one object per line)")
	fs.Var(&cfg.logLevel, "log-level", "least severe level logged: debug, info, warn or error")
	registerMemoryFlags(fs, &cfg.memory)
	fs.BoolVar(&cfg.version, "version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: onemrcd [flags]\n\nonemrcd serves the One Million Request Challenge API:\n"+
			"POST /event, GET /stats, GET /health.\n\nPrecedence, highest first: command line, environment variable (in brackets),\n"+
			"config file (-config), built-in default.\n\n")
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(fs.Output(), "  -%s  [%s]\n    \t%s (default %q)\n", f.Name, envName(f.Name), f.Usage, f.DefValue)
		})
	}
	return fs
}

// applyConfigFile sets options from a JSON object whose keys are flag names and whose
// values are strings, numbers or booleans. Unknown keys are errors: a typo must not pass
// silently.
func applyConfigFile(fs *flag.FlagSet, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("-config: %w", err)
	}
	opts, err := decodeConfigFile(data)
	if err != nil {
		return fmt.Errorf("-config %s: not a JSON object: %v", path, err)
	}
	names := make([]string, 0, len(opts))
	for name := range opts {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f := fs.Lookup(name)
		if f == nil || name == "config" || name == "version" {
			return fmt.Errorf("-config %s: unknown option %q", path, name)
		}
		var text string
		switch v := opts[name].(type) {
		case string:
			text = v
		case bool:
			text = strconv.FormatBool(v)
		case json.Number:
			text = v.String()
		default:
			return fmt.Errorf("-config %s: option %q: want a string, number or boolean", path, name)
		}
		if err := f.Value.Set(text); err != nil {
			return fmt.Errorf("-config %s: invalid value %q for %q: %v", path, text, name, err)
		}
	}
	return nil
}

// decodeConfigFile reads a config file's one JSON object, keeping numbers as their text
// so that 100000 stays an integer for the flag parser. It is encoding/json, not sonic: a
// file read once at startup gains nothing from a JIT, and without sonic in the binary
// nothing maps memory writable and executable, so the systemd unit can forbid it
// (MemoryDenyWriteExecute=yes).
func decodeConfigFile(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var opts map[string]any
	if err := dec.Decode(&opts); err != nil {
		return nil, err
	}
	if opts == nil {
		return nil, errors.New("null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("text after the object")
	}
	return opts, nil
}

func (c config) validate() error {
	_, port, err := net.SplitHostPort(c.addr)
	if err != nil {
		return fmt.Errorf("-addr %q: want host:port", c.addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("-addr %q: port must be a number from 0 to 65535", c.addr)
	}
	for name, a := range map[string]string{"admin-addr": c.adminAddr, "metrics-addr": c.metricsAddr} {
		if a == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("-%s %q: want host:port or empty", name, a)
		}
	}
	if c.adminAddr != "" && c.adminAddr == c.metricsAddr {
		return fmt.Errorf("-metrics-addr %q: the admin listener has it already", c.metricsAddr)
	}
	checks := []struct {
		name     string
		v, lo    int
		unitHint string
	}{
		{"loops", c.loops, 1, ""},
		{"max-body", c.limits.MaxBody, 64, " bytes"},
		{"max-batch-bytes", c.maxBatchBytes, 64, " bytes"},
		{"max-batch-events", c.maxBatchEvents, 1, ""},
		{"max-request-line", c.limits.MaxRequestLine, 64, " bytes"},
		{"max-header-bytes", c.limits.MaxHeaderBytes, 64, " bytes"},
		{"max-headers", c.limits.MaxHeaders, 4, ""},
		{"max-pending-output", c.maxOutput, 4 << 10, " bytes"},
	}
	if c.maxBatchBytes > event.MaxStagedBody {
		return fmt.Errorf("-max-batch-bytes %d: at most %d", c.maxBatchBytes, event.MaxStagedBody)
	}
	if c.maxConns < 0 {
		return fmt.Errorf("-max-conns %d: must be 0 (no cap) or more", c.maxConns)
	}
	if c.flushEvery < 10*time.Millisecond {
		return fmt.Errorf("-flush-interval %v: must be at least 10ms", c.flushEvery)
	}
	if c.cluster != "" {
		if err := cluster.CheckURL(c.cluster); err != nil {
			return err
		}
	}
	if c.ckptEvery < 100*time.Millisecond {
		return fmt.Errorf("-checkpoint-interval %v: must be at least 100ms", c.ckptEvery)
	}
	if c.drainTime < 0 {
		return fmt.Errorf("-drain-timeout %v: must be 0 or more", c.drainTime)
	}
	if c.fsyncEvery < time.Millisecond {
		return fmt.Errorf("-fsync-interval %v: must be at least 1ms", c.fsyncEvery)
	}
	for name, d := range map[string]time.Duration{"header-timeout": c.timeouts.Header, "body-timeout": c.timeouts.Body, "idle-timeout": c.timeouts.Idle} {
		if d < 100*time.Millisecond {
			return fmt.Errorf("-%s %v: must be at least 100ms", name, d)
		}
	}
	for _, ck := range checks {
		if ck.v < ck.lo {
			return fmt.Errorf("-%s %d: must be at least %d%s", ck.name, ck.v, ck.lo, ck.unitHint)
		}
	}
	return nil
}

// exitCode maps a configuration error to the process exit status: 0 for -h, 2 otherwise.
func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// fsyncFlag is -fsync: always (the default), interval or off.
type fsyncFlag struct{ mode loop.FsyncMode }

var fsyncNames = map[string]loop.FsyncMode{"always": loop.FsyncAlways, "interval": loop.FsyncInterval, "off": loop.FsyncOff}

func (f *fsyncFlag) String() string {
	if f == nil {
		return "always"
	}
	for name, m := range fsyncNames {
		if m == f.mode {
			return name
		}
	}
	return "always"
}

func (f *fsyncFlag) Set(s string) error {
	m, ok := fsyncNames[s]
	if !ok {
		return fmt.Errorf("want always, interval or off")
	}
	f.mode = m
	return nil
}
