package httpparse

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContentTypeAndEncoding(t *testing.T) {
	tests := []struct {
		name     string
		fields   string
		typ      string // "<nil>" when absent
		encoding Encoding
	}{
		{"neither", "", "<nil>", EncodingIdentity},
		{"type", "Content-Type: application/x-ndjson\r\n", "application/x-ndjson", EncodingIdentity},
		{"type trimmed, case kept", "content-TYPE:  Application/JSON; charset=utf-8 \r\n", "Application/JSON; charset=utf-8", EncodingIdentity},
		{"empty type", "Content-Type:\r\n", "", EncodingIdentity},
		{"first type wins", "Content-Type: a/b\r\nContent-Type: c/d\r\n", "a/b", EncodingIdentity},
		{"gzip", "Content-Encoding: gzip\r\n", "<nil>", EncodingGzip},
		{"x-gzip any case", "CONTENT-ENCODING: X-GZip\r\n", "<nil>", EncodingGzip},
		{"identity", "Content-Encoding: identity\r\n", "<nil>", EncodingIdentity},
		{"gzip with identity and empty elements", "Content-Encoding: identity, ,gzip\r\n", "<nil>", EncodingGzip},
		{"gzip twice", "Content-Encoding: gzip, gzip\r\n", "<nil>", EncodingOther},
		{"gzip on two lines", "Content-Encoding: gzip\r\nContent-Encoding: gzip\r\n", "<nil>", EncodingOther},
		{"deflate", "Content-Encoding: deflate\r\n", "<nil>", EncodingOther},
		{"br after gzip", "Content-Encoding: gzip, br\r\n", "<nil>", EncodingOther},
		{"gzip after br", "Content-Encoding: br, gzip\r\n", "<nil>", EncodingOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := "POST /events HTTP/1.1\r\nHost: h\r\n" + tt.fields + "Content-Length: 2\r\n\r\n{}"
			check := func(r *Request) {
				typ := "<nil>"
				if r.ContentType != nil {
					typ = string(r.ContentType)
				}
				assert.Equal(t, tt.typ, typ)
				assert.Equal(t, tt.encoding, r.Encoding)
			}
			var r Request
			_, err := Parse([]byte(in), &r, Limits{})
			require.NoError(t, err)
			check(&r)
			// Resumed across every split of the header section, the same.
			for cut := 1; cut < len(in); cut++ {
				var st State
				var rr Request
				_, err := ParseFrom([]byte(in[:cut]), &rr, Limits{}, &st)
				require.Equal(t, ErrNeedMore, err)
				buf := make([]byte, 0, len(in)+8) // another buffer: views are offsets
				buf = append(buf, in...)
				_, err = ParseFrom(buf, &rr, Limits{}, &st)
				require.NoError(t, err)
				check(&rr)
			}
		})
	}
}

func TestReleaseScratch(t *testing.T) {
	in := "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"
	var r Request
	_, err := Parse([]byte(in), &r, Limits{})
	require.NoError(t, err)
	assert.Equal(t, "abcdef", string(r.Body))
	r.ReleaseScratch(6)
	assert.NotNil(t, r.scratch, "within the bound: kept")
	r.ReleaseScratch(5)
	assert.Nil(t, r.scratch)
	assert.Equal(t, "abcdef", string(r.Body), "the body the caller holds stays valid")
}
