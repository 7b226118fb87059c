// Package peers holds nothing but this comment: the servers onemrc is
// compared with live in its sub-directories, one main package each.
//
//   - nethttp:  net/http the way the challenge's reference server is written
//     (encoding/json, atomic counters, users in a sync.Map).
//   - fasthttp: an idiomatic github.com/valyala/fasthttp server with the same
//     API (atomic counters, a sharded mutex map for users).
//
// Each serves POST /event, GET /stats and GET /health on the address given by
// -addr. They are a separate Go module so the root go.mod stays lean; the
// comparison harness (benchmarks/compare in the root module) builds them.
package peers
