package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Redact returns rawURL with the password of its user info replaced by xxxxx
// (redis://user:xxxxx@host:port/db), for logs and errors: a password never leaves the
// process in either. It works on the text, not on a parsed URL, so that it also hides
// the password of a URL that does not parse. Anything between the "://" (or the start)
// and the last '@' is user info; past its first ':' is the password. A URL without one
// is returned as it is.
func Redact(rawURL string) string {
	start, at := userInfo(rawURL)
	colon := strings.IndexByte(rawURL[start:at], ':')
	if colon < 0 || start+colon+1 == at {
		return rawURL
	}
	return rawURL[:start+colon+1] + "xxxxx" + rawURL[at:]
}

// HasPassword reports whether rawURL carries a non-empty password.
func HasPassword(rawURL string) bool { return Redact(rawURL) != rawURL }

// userInfo returns the bounds of rawURL's user info, rawURL[start:at], as Redact defines
// it; start == at when there is none. A last '@' before the first "://" (the scheme
// forgotten in front, as in user:pass@redis://host) ends user info that starts at 0:
// that text is no scheme, and it holds the password.
func userInfo(rawURL string) (start, at int) {
	if k := strings.Index(rawURL, "://"); k >= 0 {
		start = k + len("://")
	}
	at = strings.LastIndexByte(rawURL, '@')
	if at < 0 {
		return 0, 0
	}
	if at < start {
		start = 0
	}
	return start, at
}

// The URL schemes parseURL takes, and the port of an address that names none.
const (
	schemePlain         = "redis"
	schemeTLS           = "rediss"
	schemeSentinel      = "redis-sentinel"
	defaultPort         = "6379"
	defaultSentinelPort = "26379" // what redis-sentinel listens on unless told otherwise
)

// wantSchemes ends the error for a URL whose scheme parseURL does not take.
const wantSchemes = "want redis://, rediss:// or redis-sentinel://"

// parseURL reads a -cluster URL into the options newClient takes:
//
//	redis://[user[:password]@]host[:port][,host[:port]...][/db]
//	rediss://[user[:password]@]host[:port][,host[:port]...][/db]
//	redis-sentinel://[user[:password]@]host[:port][,host[:port]...][/db]?master=NAME
//
// A host is a name, an IPv4 address or a bracketed IPv6 one ([::1]:6379); the port
// defaults to 6379, and to 26379 for a sentinel. Several addresses after redis:// or
// rediss:// are a Redis Cluster seed list: a cluster has database 0 only, so any other
// db is an error. rediss:// speaks TLS 1.2 or later, and checks every server's
// certificate against the first host's name: every node's certificate must name it
// (one name for all, or a wildcard). redis-sentinel:// lists sentinels; master names the master they watch;
// the user and password are the master's (and its replicas'). The sentinels are asked
// without a password: one URL carries one secret, and a sentinel that requires its own
// is not supported. No other query parameter is taken: timeouts and retries are the
// caller's to set in the options.
//
// The user name and password are percent-decoded; a '/', '?' or '#' in them must be
// percent-encoded, because net/url, go-redis and Redact could otherwise not tell where
// the user info ends. Errors name the URL redacted and never quote a piece of the user
// info: they quote only the scheme and what follows the last '@'.
func parseURL(rawURL string) (*redis.UniversalOptions, error) {
	sep := strings.Index(rawURL, "://")
	if sep < 0 || !isScheme(rawURL[:sep]) {
		return nil, urlError(rawURL, "%s at the start", wantSchemes)
	}
	scheme, port := strings.ToLower(rawURL[:sep]), defaultPort
	switch scheme {
	case schemePlain, schemeTLS:
	case schemeSentinel:
		port = defaultSentinelPort
	default:
		return nil, urlError(rawURL, "scheme %q: %s", scheme, wantSchemes)
	}
	rest := rawURL[sep+len("://"):]
	opts := &redis.UniversalOptions{}
	var err error
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		if opts.Username, opts.Password, err = decodeUserInfo(rest[:at]); err != nil {
			return nil, urlError(rawURL, "%v", err)
		}
		rest = rest[at+1:]
	}
	hosts, path, query := rest, "", ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		hosts, path = rest[:i], rest[i:]
	}
	if i := strings.IndexByte(path, '#'); i >= 0 {
		return nil, urlError(rawURL, "a fragment (%q) means nothing here", path[i:])
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	for _, h := range strings.Split(hosts, ",") {
		addr, err := joinHostPort(h, port)
		if err != nil {
			return nil, urlError(rawURL, "%v", err)
		}
		opts.Addrs = append(opts.Addrs, addr)
	}
	if opts.DB, err = parseDB(path); err != nil {
		return nil, urlError(rawURL, "%v", err)
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return nil, urlError(rawURL, "the query (%q) does not parse", query)
	}

	if scheme == schemeSentinel {
		opts.MasterName, err = masterName(params)
		if err != nil {
			return nil, urlError(rawURL, "%v", err)
		}
		return opts, nil
	}
	if params.Has("master") {
		return nil, urlError(rawURL, "master= is for redis-sentinel:// URLs only")
	}
	if names := slices.Sorted(maps.Keys(params)); len(names) > 0 {
		return nil, urlError(rawURL, "unknown parameter %q: redis:// and rediss:// URLs take none", names[0])
	}
	if len(opts.Addrs) > 1 && opts.DB != 0 {
		return nil, urlError(rawURL, "several addresses are a Redis Cluster seed list, and a cluster has database 0 only, not %d", opts.DB)
	}
	if scheme == schemeTLS {
		host, _, _ := net.SplitHostPort(opts.Addrs[0]) // joinHostPort made it
		opts.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	return opts, nil
}

// urlError is an error about rawURL, which it names redacted.
func urlError(rawURL, format string, args ...any) error {
	return fmt.Errorf("-cluster %s: "+format, append([]any{Redact(rawURL)}, args...)...)
}

// isScheme reports whether s is a URL scheme as RFC 3986 section 3.1 has it:
//
//	scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
//
// Such a scheme holds no ':' or '@', so no piece of user info: errors may quote it.
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20 // lower case, for letters
		switch {
		case 'a' <= c && c <= 'z':
		case i > 0 && ('0' <= s[i] && s[i] <= '9' || s[i] == '+' || s[i] == '-' || s[i] == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// decodeUserInfo splits user info at its first ':' and percent-decodes both halves.
// Its errors quote neither: they are about the password as often as not.
func decodeUserInfo(info string) (user, password string, err error) {
	if strings.ContainsAny(info, "/?#") {
		return "", "", errors.New("a '/', '?' or '#' in the user name or password must be percent-encoded")
	}
	rawUser, rawPassword, _ := strings.Cut(info, ":")
	if user, err = url.PathUnescape(rawUser); err != nil {
		return "", "", errors.New("a '%' in the user name is not followed by two hex digits")
	}
	if password, err = url.PathUnescape(rawPassword); err != nil {
		return "", "", errors.New("a '%' in the password is not followed by two hex digits")
	}
	return user, password, nil
}

// joinHostPort checks one address of the host list, host[:port] or [ipv6][:port], and
// returns it as host:port, with defaultPort if it names none.
func joinHostPort(hostport, defaultPort string) (string, error) {
	host, port := hostport, defaultPort
	if strings.HasPrefix(hostport, "[") {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return "", fmt.Errorf("address %q: no ']' after the IPv6 address", hostport)
		}
		host = hostport[1:end]
		if after := hostport[end+1:]; after != "" {
			if after[0] != ':' {
				return "", fmt.Errorf("address %q: want [ipv6]:port", hostport)
			}
			port = after[1:]
		}
	} else if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		host, port = hostport[:i], hostport[i+1:]
		if strings.Contains(host, ":") {
			return "", fmt.Errorf("address %q: an IPv6 address goes in brackets, [ipv6]:port", hostport)
		}
	}
	if host == "" {
		return "", fmt.Errorf("address %q: no host", hostport)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return "", fmt.Errorf("address %q: the port %q is not a number from 1 to 65535", hostport, port)
	}
	return net.JoinHostPort(host, port), nil
}

// parseDB reads the path: empty, "/" or "/N" for database N.
func parseDB(path string) (int, error) {
	if path == "" || path == "/" {
		return 0, nil
	}
	db, err := strconv.ParseUint(path[1:], 10, 31)
	if err != nil {
		return 0, fmt.Errorf("the path %q is not /N for database N", path)
	}
	return int(db), nil
}

// masterName is a redis-sentinel:// URL's master=, its only parameter, given once.
func masterName(params url.Values) (string, error) {
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if name != "master" {
			return "", fmt.Errorf("unknown parameter %q: redis-sentinel:// URLs take master= only", name)
		}
	}
	switch names := params["master"]; {
	case len(names) > 1:
		return "", errors.New("master= is given more than once")
	case len(names) == 0 || names[0] == "":
		return "", errors.New("redis-sentinel:// needs ?master=NAME, the name the sentinels know the master by")
	default:
		return names[0], nil
	}
}

// newClient returns the client opts call for: a sentinel-backed failover client when
// MasterName is set, a Redis Cluster client for several addresses (a seed list), and,
// for one address, whichever that server needs. It asks the server (INFO cluster, within
// ctx): a cluster node answers a plain client's commands on other nodes' slots with
// MOVED, and a plain server answers a cluster client's CLUSTER SLOTS with an error.
// Whatever the caller set in opts (timeouts, MaxRetries, password) carries over, through
// go-redis's own UniversalOptions.Failover, Cluster and Simple. Errors name addresses,
// never the password.
func newClient(ctx context.Context, opts *redis.UniversalOptions) (redis.UniversalClient, error) {
	switch {
	case opts.MasterName != "":
		return redis.NewFailoverClient(opts.Failover()), nil
	case len(opts.Addrs) == 0:
		return nil, errors.New("cluster: no Redis address")
	case len(opts.Addrs) > 1:
		if opts.DB != 0 {
			return nil, fmt.Errorf("cluster: a Redis Cluster has database 0 only, not %d", opts.DB)
		}
		return redis.NewClusterClient(opts.Cluster()), nil
	}
	// The probe stays on database 0: a cluster node refuses SELECT of any other, and so
	// every connection of a client told one.
	probeOpts := opts.Simple()
	probeOpts.DB = 0
	probe := redis.NewClient(probeOpts)
	info, err := probe.Info(ctx, "cluster").Result()
	isCluster := err == nil && clusterEnabled(info)
	if err == nil && !isCluster && opts.DB == 0 {
		return probe, nil
	}
	probe.Close()
	switch {
	case err != nil:
		return nil, fmt.Errorf("cluster: asking %s whether it is a Redis Cluster node: %w", opts.Addrs[0], err)
	case !isCluster:
		return redis.NewClient(opts.Simple()), nil
	case opts.DB != 0:
		return nil, fmt.Errorf("cluster: %s is a Redis Cluster node, and a cluster has database 0 only, not %d", opts.Addrs[0], opts.DB)
	default:
		return redis.NewClusterClient(opts.Cluster()), nil
	}
}

// clusterEnabled reports whether an INFO cluster reply says cluster_enabled:1. A server
// older than Redis 3 has no such section: it is no cluster node either.
func clusterEnabled(info string) bool {
	for _, line := range strings.Split(info, "\n") {
		if strings.TrimSpace(line) == "cluster_enabled:1" {
			return true
		}
	}
	return false
}

// CheckURL reports whether rawURL is a -cluster URL Dial accepts, with an error that
// names it redacted.
func CheckURL(rawURL string) error {
	_, err := parseURL(rawURL)
	return err
}
