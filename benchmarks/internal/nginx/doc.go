// Package nginx configures the nginx the benchmarks compare onemrcd with: a server
// that answers `return 200` to everything, the least work an HTTP server can do. The
// tools differ in how many processes it runs and which limits they raise; what they
// share (the files it writes, the keep-alive settings, the server block, the command
// line) is here, so that every comparison is against the same server.
package nginx
