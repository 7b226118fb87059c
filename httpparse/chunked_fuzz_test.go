package httpparse

import (
	"bufio"
	"bytes"
	"io"
	"net/http/httputil"
	"testing"
)

// FuzzChunked feeds arbitrary chunked framing after a fixed header section. Whatever the
// parser accepts, net/http's chunked reader (the reference) must decode to the same body;
// we are allowed to reject more (stricter extension, line-ending and size rules).
func FuzzChunked(f *testing.F) {
	for _, seed := range []string{
		"0\r\n\r\n",
		"5\r\nhello\r\n0\r\n\r\n",
		"3;ext=1\r\nabc\r\n2;a;b=\"q\"\r\nde\r\n0\r\nTrailer: x\r\n\r\n",
		"A\r\n0123456789\r\n0\r\n\r\n",
		"ffffffffffffffff\r\n",
		"1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n",
		"5\nhello\n0\n\n",
		"5 \r\nhello\r\n0\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	const head = "POST /event HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	f.Fuzz(func(t *testing.T, body []byte) {
		in := append([]byte(head), body...)
		var req Request
		n, err := Parse(in, &req, Limits{MaxBody: 4096})
		if n < 0 || n > len(in) {
			t.Fatalf("consumed %d of %d", n, len(in))
		}
		if err != nil {
			return
		}
		want, rerr := io.ReadAll(httputil.NewChunkedReader(bufio.NewReader(bytes.NewReader(body))))
		if rerr != nil {
			t.Fatalf("we accepted %q, net/http says %v", body, rerr)
		}
		if !bytes.Equal(want, req.Body) {
			t.Fatalf("body %q: we decoded %q, net/http %q", body, req.Body, want)
		}
	})
}
