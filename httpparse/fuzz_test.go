package httpparse

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// fuzzLimits are chosen by FuzzParse's mode argument: the defaults, limits
// small enough for the fuzzer to reach every one, and limits so large that
// only overflow-safe arithmetic survives.
var fuzzLimits = [...]Limits{
	{},
	{MaxRequestLine: 64, MaxHeaderBytes: 160, MaxHeaders: 6, MaxBody: 48},
	{MaxRequestLine: maxInt, MaxHeaderBytes: maxInt, MaxHeaders: maxInt, MaxBody: maxInt},
}

func addSeeds(f *testing.F, add func([]byte)) {
	for _, name := range realRequestNames {
		add(loadRequest(f, name))
	}
	for _, tc := range validCases {
		add([]byte(tc.in))
	}
	for _, tc := range invalidCases {
		if len(tc.in) <= 512 {
			add([]byte(tc.in))
		}
	}
}

// FuzzParse checks the contract on arbitrary bytes: no panic; n in
// [0, len(buf)]; ErrNeedMore with Need > len(buf); only sentinel errors; a
// success re-parses identically from buf[:n]; every proper prefix of a
// success is ErrNeedMore (never an error) with Need <= n; and an error stays
// an error whatever bytes follow.
func FuzzParse(f *testing.F) {
	addSeeds(f, func(b []byte) {
		for mode := range fuzzLimits {
			f.Add(b, uint8(mode))
		}
	})
	sentinels := map[error]bool{}
	for _, e := range allErrors {
		sentinels[e] = true
	}
	f.Fuzz(func(t *testing.T, buf []byte, mode uint8) {
		lim := fuzzLimits[int(mode)%len(fuzzLimits)]
		var r Request
		n, err := Parse(buf, &r, lim)
		if n < 0 || n > len(buf) {
			t.Fatalf("n = %d outside [0, %d]", n, len(buf))
		}
		switch {
		case err == ErrNeedMore:
			if n != 0 || r.Need <= len(buf) {
				t.Fatalf("ErrNeedMore with n = %d, Need = %d, len = %d", n, r.Need, len(buf))
			}
			return
		case err != nil:
			if n != 0 || !sentinels[err] {
				t.Fatalf("error %v (n = %d) is not a sentinel", err, n)
			}
			for _, tail := range []string{"\r\n", "\r\n\r\n", "0\r\n\r\n", "a"} {
				var r2 Request
				if _, err2 := Parse(append(append([]byte(nil), buf...), tail...), &r2, lim); err2 == nil || err2 == ErrNeedMore {
					t.Fatalf("error %v on %q, but %v after appending %q", err, buf, err2, tail)
				}
			}
			return
		}
		if n == 0 {
			t.Fatal("success with n = 0")
		}
		want := snapshot(n, err, &r)
		exact := append([]byte(nil), buf[:n]...)
		var r2 Request
		n2, err2 := Parse(exact, &r2, lim)
		if got := snapshot(n2, err2, &r2); got != want {
			t.Fatalf("re-parse of buf[:n] differs:\n got %+v\nwant %+v", got, want)
		}
		step := 1
		if n > 400 {
			step = n/200 + 1
		}
		for k := 0; k < n; k += step {
			var r3 Request
			_, err3 := Parse(exact[:k:k], &r3, lim)
			if err3 != ErrNeedMore || r3.Need <= k || r3.Need > n {
				t.Fatalf("prefix %d of valid %q: %v, Need = %d", k, exact, err3, r3.Need)
			}
		}
	})
}

// FuzzParseDifferential compares Parse with net/http's ReadRequest on inputs
// both accept: method, path, content length, body, keep-alive, host and the
// bytes consumed must agree.
//
// Deliberate differences, all cases where this parser is stricter and so
// never reached here because it rejects the input: bare LF and bare CR line
// ends, obs-fold, whitespace before a field colon, a second Content-Length
// (even identical) or Host, Content-Length with more than 18 digits,
// Content-Length together with Transfer-Encoding, Transfer-Encoding in
// HTTP/1.0, any transfer coding but chunked, chunk extensions and trailers
// that break the RFC 9112 §7.1 grammar, a fragment or a non-http(s) scheme
// in the request-target, Host values with bytes outside RFC 3986 host
// syntax, HTTP-versions with a major version other than 1, Expect values
// other than 100-continue, and more than four leading empty lines.
// Where both accept, the representation differs on purpose and is
// normalised before comparing: Path is the raw path (net/http unescapes it),
// an absolute-form target without a path has Path "/" (net/http ""),
// ContentLength is -1 when absent (net/http 0).
func FuzzParseDifferential(f *testing.F) {
	addSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, buf []byte) {
		var r Request
		n, err := Parse(buf, &r, Limits{})
		if err != nil {
			return
		}
		rd := bytes.NewReader(buf)
		br := bufio.NewReader(rd)
		hreq, herr := http.ReadRequest(br)
		if herr != nil {
			return
		}
		body, berr := io.ReadAll(hreq.Body)
		if berr != nil {
			return
		}
		if hreq.Method != string(r.MethodName) {
			t.Fatalf("method %q vs net/http %q", r.MethodName, hreq.Method)
		}
		if r.Method != MethodConnect {
			path, perr := url.PathUnescape(string(r.Path))
			if perr == nil && !(path == "/" && hreq.URL.Path == "" && r.Target[0] != '/') && path != hreq.URL.Path {
				t.Fatalf("path %q (%q) vs net/http %q", r.Path, path, hreq.URL.Path)
			}
		}
		switch {
		case r.Chunked:
			if len(hreq.TransferEncoding) != 1 || hreq.TransferEncoding[0] != "chunked" || hreq.ContentLength != -1 {
				t.Fatalf("chunked vs net/http TE %q CL %d", hreq.TransferEncoding, hreq.ContentLength)
			}
		case r.ContentLength >= 0:
			if hreq.ContentLength != r.ContentLength {
				t.Fatalf("content length %d vs net/http %d", r.ContentLength, hreq.ContentLength)
			}
		default:
			if hreq.ContentLength != 0 {
				t.Fatalf("no body vs net/http content length %d", hreq.ContentLength)
			}
		}
		if !bytes.Equal(body, r.Body) {
			t.Fatalf("body %q vs net/http %q", r.Body, body)
		}
		if r.KeepAlive == hreq.Close {
			t.Fatalf("keep-alive %v vs net/http close %v", r.KeepAlive, hreq.Close)
		}
		if r.Target[0] == '/' && string(r.Host) != hreq.Host {
			t.Fatalf("host %q vs net/http %q", r.Host, hreq.Host)
		}
		if consumed := len(buf) - rd.Len() - br.Buffered(); consumed != n && !strings.HasPrefix(string(buf), "\r\n") {
			t.Fatalf("consumed %d vs net/http %d", n, consumed)
		}
	})
}
