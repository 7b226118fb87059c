package stages

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"

	"github.com/onemrc/onemrc/httpparse"
	"github.com/onemrc/onemrc/route"
)

var (
	routeSink   route.Handler
	routeIDSink int
	patternSink string
)

// The route inputs: the method and path of POST /event as the parser
// returns them (views into the request bytes).
var (
	routeMethodName = []byte("POST")
	routePath       = []byte("/event")
)

// BenchmarkRoute is route.Table.Lookup of POST /event in the default table
// (the 1MRC API: /event, /stats, /health).
func BenchmarkRoute(b *testing.B) {
	table := route.Default()
	b.SetBytes(int64(len(routeMethodName) + len(routePath)))
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		h, _ := table.Lookup(httpparse.MethodPost, routePath)
		if h != route.Event {
			b.Fatalf("Lookup = %v", h)
		}
		routeSink = h
	}
	cpu.report(b, 0)
}

// BenchmarkRouteMap is the plain baseline: a map keyed by method+" "+path,
// the key built in a reused scratch buffer (m[string(b)] does not allocate).
func BenchmarkRouteMap(b *testing.B) {
	const event = 2
	routes := map[string]int{"POST /event": event, "GET /stats": 3, "HEAD /stats": 3, "GET /health": 4, "HEAD /health": 4}
	scratch := make([]byte, 0, 64)
	b.SetBytes(int64(len(routeMethodName) + len(routePath)))
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		scratch = append(append(append(scratch[:0], routeMethodName...), ' '), routePath...)
		id := routes[string(scratch)]
		if id != event {
			b.Fatalf("map lookup = %d", id)
		}
		routeIDSink = id
	}
	cpu.report(b, 0)
}

// BenchmarkRouteServeMux is net/http's router: ServeMux.Handler on the
// *http.Request of POST /event (Go 1.22 method patterns), the request parsed
// once outside the loop.
func BenchmarkRouteServeMux(b *testing.B) {
	mux := newBaselineMux(nil)
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(readFixture(b, curlRequest))))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(routeMethodName) + len(routePath)))
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		_, pattern := mux.Handler(req)
		if pattern != "POST /event" {
			b.Fatalf("ServeMux pattern %q", pattern)
		}
		patternSink = pattern
	}
	cpu.report(b, 0)
}

// newBaselineMux is the net/http router of the 1MRC API. event serves
// POST /event (nil: a handler that does nothing).
func newBaselineMux(event http.HandlerFunc) *http.ServeMux {
	if event == nil {
		event = func(http.ResponseWriter, *http.Request) {}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /event", event)
	mux.HandleFunc("GET /stats", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /health", func(http.ResponseWriter, *http.Request) {})
	return mux
}
