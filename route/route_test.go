package route

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onemrc/onemrc/httpparse"
)

func TestDefaultTable(t *testing.T) {
	table := Default()
	cases := []struct {
		method httpparse.Method
		path   string
		want   Handler
		allow  string
	}{
		{httpparse.MethodPost, "/event", Event, ""},
		{httpparse.MethodGet, "/stats", Stats, ""},
		{httpparse.MethodHead, "/stats", Stats, ""},
		{httpparse.MethodGet, "/health", Health, ""},
		{httpparse.MethodHead, "/health", Health, ""},
		{httpparse.MethodGet, "/ready", Ready, ""},
		{httpparse.MethodHead, "/ready", Ready, ""},
		{httpparse.MethodPost, "/ready", MethodNotAllowed, "GET, HEAD"},
		{httpparse.MethodGet, "/ready/", NotFound, ""},
		{httpparse.MethodGet, "/event", MethodNotAllowed, "POST"},
		{httpparse.MethodOther, "/event", MethodNotAllowed, "POST"},
		{httpparse.MethodPost, "/stats", MethodNotAllowed, "GET, HEAD"},
		{httpparse.MethodDelete, "/health", MethodNotAllowed, "GET, HEAD"},
		{httpparse.MethodPost, "/events", Events, ""},
		{httpparse.MethodGet, "/events", MethodNotAllowed, "POST"},
		{httpparse.MethodPost, "/events/", NotFound, ""},
		{httpparse.MethodPost, "/eventsx", NotFound, ""},
		{httpparse.MethodPost, "/event/", NotFound, ""},
		{httpparse.MethodPost, "/Event", NotFound, ""},
		{httpparse.MethodGet, "/", NotFound, ""},
		{httpparse.MethodGet, "", NotFound, ""},
		{httpparse.MethodGet, "/statz", NotFound, ""},
	}
	for _, tc := range cases {
		t.Run(tc.method.String()+" "+tc.path, func(t *testing.T) {
			h, allow := table.Lookup(tc.method, []byte(tc.path))
			assert.Equal(t, tc.want, h)
			assert.Equal(t, tc.allow, allow)
		})
	}
}

func TestZeroTableFindsNothing(t *testing.T) {
	var table Table
	h, allow := table.Lookup(httpparse.MethodGet, []byte("/stats"))
	assert.Equal(t, NotFound, h)
	assert.Empty(t, allow)
}

func TestDuplicatePathPanics(t *testing.T) {
	require.Panics(t, func() {
		New(Route{Path: "/a", Handler: Event}, Route{Path: "/a", Handler: Stats})
	})
}

func TestHandlerString(t *testing.T) {
	assert.Equal(t, "event", Event.String())
	assert.Equal(t, "ready", Ready.String())
	assert.Equal(t, "unknown", Handler(200).String())
}

// Paths longer than 8 bytes take the byte-by-byte comparison.
func TestLongPaths(t *testing.T) {
	table := New(
		Route{Path: "/a-much-longer-path", Handler: Stats, Methods: []httpparse.Method{httpparse.MethodGet}},
		Route{Path: "/12345678", Handler: Health, Methods: []httpparse.Method{httpparse.MethodGet}},
	)
	h, _ := table.Lookup(httpparse.MethodGet, []byte("/a-much-longer-path"))
	assert.Equal(t, Stats, h)
	h, _ = table.Lookup(httpparse.MethodGet, []byte("/a-much-longer-patH"))
	assert.Equal(t, NotFound, h)
	h, _ = table.Lookup(httpparse.MethodGet, []byte("/12345678"))
	assert.Equal(t, Health, h)
	h, _ = table.Lookup(httpparse.MethodGet, []byte("/1234567"))
	assert.Equal(t, NotFound, h)
}

// Route gives back what New was given, methods in httpparse.Method order.
func TestRoutesEnumerate(t *testing.T) {
	routes := []Route{
		{Path: "/event", Handler: Event, Methods: []httpparse.Method{httpparse.MethodPost}},
		{Path: "/stats", Handler: Stats, Methods: []httpparse.Method{httpparse.MethodHead, httpparse.MethodGet}},
		{Path: "/health", Handler: Health, Methods: []httpparse.Method{httpparse.MethodGet}},
	}
	table := New(routes...)
	require.Equal(t, len(routes), table.Len())
	routes[1].Methods = []httpparse.Method{httpparse.MethodGet, httpparse.MethodHead}
	for i, want := range routes {
		assert.Equal(t, want, table.Route(i))
	}
}

func TestPathOf(t *testing.T) {
	table := Default()
	path, ok := table.PathOf(Events)
	assert.True(t, ok)
	assert.Equal(t, "/events", path)
	_, ok = table.PathOf(NotFound)
	assert.False(t, ok)
}
