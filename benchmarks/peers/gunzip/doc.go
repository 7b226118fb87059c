// Package gunzip measures the inflation of a gzip batch body (POST /events with
// Content-Encoding: gzip) with the standard library's compress/gzip, which onemrcd uses,
// and with github.com/klauspost/compress/gzip, the usual faster replacement, on the same
// bytes. It holds only a benchmark: the figure behind the choice of the standard library.
package gunzip
