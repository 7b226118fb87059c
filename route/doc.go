// Package route maps a request's method and path to the handler that serves it.
//
// The handlers are a closed set (Handler): package pipeline switches over them, so a new
// endpoint is a new Handler and a new case there, never a callback registered here.
// Invariants:
//   - A Table is built once at startup and never written again. Every event loop's
//     pipeline holds a copy of the Table value, and the copies share one entries array:
//     read-only sharing costs nothing (no cache line is ever written, so none moves
//     between cores), which is why the entries are not copied per loop.
//   - Lookup allocates nothing (alloc_test.go). With three routes a linear scan that
//     compares lengths first beats any map or trie.
package route
