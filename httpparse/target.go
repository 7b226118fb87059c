package httpparse

// parseTarget classifies req.Target by the forms of RFC 9112 §3.2 and sets
// req.Path; query is the index of the first "?" in the target, or its length.
//
//	origin-form    = absolute-path [ "?" query ]          any method but CONNECT
//	absolute-form  = absolute-URI (http or https only)    any method but CONNECT
//	authority-form = uri-host ":" port                     CONNECT only
//	asterisk-form  = "*"                                   OPTIONS only
//
// The request line scan has already rejected "#" (a fragment is never part
// of a request-target) and every byte outside VCHAR.
func parseTarget(req *Request, query int) error {
	t := req.Target
	if req.Method == MethodConnect {
		return parseAuthorityForm(req, t)
	}
	switch t[0] {
	case '/':
		req.Path = t[:query]
		return nil
	case '*':
		if len(t) != 1 || req.Method != MethodOptions {
			return ErrBadTarget
		}
		req.Path = t
		return nil
	}
	return parseAbsoluteForm(req, t, query)
}

// parseAbsoluteForm accepts "http://" or "https://" (scheme compared
// case-insensitively, RFC 3986 §3.1), a non-empty authority, and an optional
// path and query.
func parseAbsoluteForm(req *Request, t []byte, query int) error {
	var rest int
	switch {
	case len(t) > 7 && equalFoldLower(t[:7], "http://"):
		rest = 7
	case len(t) > 8 && equalFoldLower(t[:8], "https://"):
		rest = 8
	default:
		return ErrBadTarget
	}
	i := rest
	for i < query && t[i] != '/' {
		if !isHost(t[i]) {
			return ErrBadTarget
		}
		i++
	}
	if i == rest {
		return ErrBadTarget // empty host (RFC 9110 §4.2.1)
	}
	if i < query {
		req.Path = t[i:query]
		return nil
	}
	// No path: the path is "/" (RFC 9110 §4.2.3). Point at the first "/"
	// of "://" so Path stays a view into the buffer.
	req.Path = t[rest-2 : rest-1]
	return nil
}

// parseAuthorityForm accepts uri-host ":" port with a non-empty host and at
// least one port digit (RFC 9112 §3.2.3). Path is left empty.
func parseAuthorityForm(req *Request, t []byte) error {
	colon := -1
	for i, c := range t {
		if !isHost(c) {
			return ErrBadTarget
		}
		if c == ':' {
			colon = i
		}
	}
	if colon <= 0 || colon == len(t)-1 {
		return ErrBadTarget
	}
	for _, c := range t[colon+1:] {
		if c < '0' || c > '9' {
			return ErrBadTarget
		}
	}
	req.Path = t[:0]
	return nil
}
