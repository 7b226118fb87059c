package pipeline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/httpparse"
	"github.com/onemrc/onemrc/route"
	"github.com/onemrc/onemrc/store"
)

// withReady is the default table and one more route, as a new endpoint would add it.
func withReady() *route.Table {
	t := route.New(
		route.Route{Path: "/event", Handler: route.Event, Methods: []httpparse.Method{httpparse.MethodPost}},
		route.Route{Path: "/stats", Handler: route.Stats, Methods: []httpparse.Method{httpparse.MethodGet, httpparse.MethodHead}},
		route.Route{Path: "/health", Handler: route.Health, Methods: []httpparse.Method{httpparse.MethodGet, httpparse.MethodHead}},
		route.Route{Path: "/ready", Handler: route.Health, Methods: []httpparse.Method{httpparse.MethodGet}},
	)
	return &t
}

// Every request is labelled by its method and route, from the table: a route added to
// the table has its label with no other change.
func TestRequestLabels(t *testing.T) {
	cases := []struct {
		name, req        string
		method, endpoint string
		status           int
	}{
		{"event", post(`{"userId":"a","value":1}`), "POST", "/event", 200},
		{"bad body", post(`{x}`), "POST", "/event", 400},
		{"stats", getStats, "GET", "/stats", 200},
		{"head health", "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD", "/health", 200},
		{"new route", "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n", "GET", "/ready", 200},
		{"405 by path", "DELETE /ready HTTP/1.1\r\nHost: x\r\n\r\n", "other", "/ready", 405},
		{"405 of a handler with two paths", "POST /health HTTP/1.1\r\nHost: x\r\n\r\n", "POST", "/health", 405},
		{"not found", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", "GET", "other", 404},
		{"framing error", "GET /stats HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", "other", "other", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := New(store.New(store.Options{}), Config{Routes: withReady()})
			var c Conn
			n, _ := p.Process(&c, []byte(tc.req))
			require.NotZero(t, n+len(p.Output()))
			p.PublishMetrics()
			m := SumMetrics([]*Pipeline{p})
			require.Equal(t, []RequestCount{{tc.method, tc.endpoint, tc.status, 1}}, m.Requests)
			e := endpointOf(t, m, tc.method, tc.endpoint)
			assert.Equal(t, uint64(1), observed(e), "the request's time is in its pair's histogram")
		})
	}
}

func endpointOf(t *testing.T, m Metrics, method, endpoint string) EndpointMetrics {
	t.Helper()
	for _, e := range m.Endpoints {
		if e.Method == method && e.Endpoint == endpoint {
			return e
		}
	}
	t.Fatalf("no series for %s %s", method, endpoint)
	return EndpointMetrics{}
}

func observed(e EndpointMetrics) (n uint64) {
	for _, c := range e.DurationCounts {
		n += c
	}
	return n
}

// Before any request, the pairs the table serves are there at zero, and only those.
func TestServedPairsExposedAtZero(t *testing.T) {
	p := New(store.New(store.Options{}), Config{Routes: withReady()})
	var got []string
	for _, e := range SumMetrics([]*Pipeline{p}).Endpoints {
		assert.Zero(t, observed(e))
		got = append(got, e.Method+" "+e.Endpoint)
	}
	assert.ElementsMatch(t, []string{"POST /event", "GET /stats", "HEAD /stats", "GET /health", "HEAD /health", "GET /ready"}, got)
}

// A pipelined batch observes each request under its own pair.
func TestBatchObservesEachPair(t *testing.T) {
	p := New(store.New(store.Options{}), Config{})
	var c Conn
	in := post(`{"userId":"a","value":1}`) + getStats + post(`{"userId":"b","value":2}`) + "GET /x HTTP/1.1\r\nHost: x\r\n\r\n"
	n, closeConn := p.Process(&c, []byte(in))
	require.Equal(t, len(in), n)
	require.False(t, closeConn)
	p.PublishMetrics()
	m := SumMetrics([]*Pipeline{p})
	cases := []struct {
		method, endpoint string
		want             uint64
	}{
		{"POST", "/event", 2},
		{"GET", "/stats", 1},
		{"GET", "other", 1},
		{"HEAD", "/stats", 0},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, observed(endpointOf(t, m, tc.method, tc.endpoint)), tc.method+" "+tc.endpoint)
	}
}

// A request in flight counts under its method and route as far as its request line
// arrived, and the end of it moves the same count back.
func TestInFlightLabels(t *testing.T) {
	cases := []struct {
		name, partial    string
		method, endpoint string
	}{
		{"body pending", "POST /event HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n{", "POST", "/event"},
		{"header pending", "GET /stats HTTP/1.1\r\nHo", "GET", "/stats"},
		{"target pending", "POST /ev", "POST", "other"},
		{"method pending", "PO", "other", "other"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := New(store.New(store.Options{}), Config{})
			var c Conn
			b := p.Serve(&c, []byte(tc.partial))
			require.True(t, b.Partial)
			p.AddInFlight(&c, +1)
			m := SumMetrics([]*Pipeline{p})
			assert.Equal(t, int64(1), endpointOf(t, m, tc.method, tc.endpoint).InFlight)
			assert.Equal(t, int64(1), m.InFlight())
			p.AddInFlight(&c, -1)
			m = SumMetrics([]*Pipeline{p})
			assert.Zero(t, m.InFlight())
		})
	}
}

// Routes past what the labels hold are "other"; the table still routes them.
func TestEndpointLabelsBounded(t *testing.T) {
	var routes []route.Route
	for i := range maxEndpoints + 3 {
		routes = append(routes, route.Route{Path: "/r" + itoa(i), Handler: route.Stats,
			Methods: []httpparse.Method{httpparse.MethodGet}})
	}
	table := route.New(routes...)
	l := newEndpointLabels(&table)
	require.Len(t, l.names, maxEndpoints)
	assert.Equal(t, "other", l.names[maxEndpoints-1])
	assert.Equal(t, 0, l.endpoint(route.Stats, []byte("/r0")))
	assert.Equal(t, maxEndpoints-2, l.endpoint(route.Stats, []byte("/r"+itoa(maxEndpoints-2))))
	assert.Equal(t, l.other, l.endpoint(route.Stats, []byte("/r"+itoa(maxEndpoints))))
	assert.Equal(t, l.other, l.endpoint(route.NotFound, []byte("/nope")))
}
