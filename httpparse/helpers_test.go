package httpparse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// localRequests holds the real client requests (see its README.md for where
// they came from); benchmarks/stages reads the same files.
const localRequests = "testdata/requests"

// realRequestNames lists the real client captures, by file name without
// ".http"; the benchmark table uses the same names.
var realRequestNames = []string{"curl", "curlchunked", "curl-long-userid", "goclient", "node", "python", "wget"}

// loadRequest reads one real client request from the package's testdata.
func loadRequest(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(localRequests, name+".http"))
	require.NoError(tb, err)
	return b
}

// result is the comparable projection of a parsed Request.
type result struct {
	n              int
	err            error
	method         Method
	methodName     string
	target         string
	path           string
	minor          int
	keepAlive      bool
	expectContinue bool
	contentLength  int64
	chunked        bool
	host           string
	body           string
}

func snapshot(n int, err error, r *Request) result {
	if err != nil {
		return result{err: err}
	}
	return result{
		n: n, method: r.Method, methodName: string(r.MethodName),
		target: string(r.Target), path: string(r.Path), minor: r.Minor,
		keepAlive: r.KeepAlive, expectContinue: r.ExpectContinue,
		contentLength: r.ContentLength, chunked: r.Chunked,
		host: string(r.Host), body: string(r.Body),
	}
}

func parseSnapshot(buf []byte, lim Limits) result {
	var r Request
	n, err := Parse(buf, &r, lim)
	return snapshot(n, err, &r)
}

// crlf turns "\n" into "\r\n" so test requests stay readable.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
