package cluster

import (
	"errors"
	"fmt"
	"net/url"
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

// parseURL is redis.ParseURL with errors that name the URL redacted, and never quote a
// piece of the password: net/url's errors quote the whole URL, and a password holding
// a '/', '?' or '#' ends the authority early (net/url then reads the rest of the
// password as a port, a path or a query, which the errors quote too).
func parseURL(rawURL string) (*redis.Options, error) {
	red := Redact(rawURL)
	if start, at := userInfo(rawURL); strings.ContainsAny(rawURL[start:at], "/?#") {
		return nil, fmt.Errorf("-cluster %s: a '/', '?' or '#' in the user name or password must be percent-encoded", red)
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its URL is the raw one
		}
		var eerr url.EscapeError
		if errors.As(err, &eerr) {
			err = errors.New("a '%' not followed by two hex digits") // it quotes them
		}
		return nil, fmt.Errorf("-cluster %s: %w", red, err)
	}
	return opts, nil
}
