package route

import "github.com/onemrc/onemrc/httpparse"

// Handler names what serves a request.
type Handler uint8

const (
	// NotFound means no route has the path: answer 404.
	NotFound Handler = iota
	// MethodNotAllowed means the path exists but not for this method: answer 405 with
	// the route's Allow header (RFC 9110 §15.5.6).
	MethodNotAllowed
	// Event records one event (POST /event).
	Event
	// Stats reports the merged counters (GET and HEAD /stats).
	Stats
	// Health reports liveness (GET and HEAD /health).
	Health
	// Ready reports readiness (GET and HEAD /ready): 503 while the daemon starts or
	// drains.
	Ready
	// Events records a batch of events, all or none (POST /events).
	Events
)

var handlerNames = [...]string{"not_found", "method_not_allowed", "event", "stats", "health", "ready", "events"}

func (h Handler) String() string {
	if int(h) < len(handlerNames) {
		return handlerNames[h]
	}
	return "unknown"
}

// Route is one path and the handler each method reaches there.
type Route struct {
	Path    string
	Handler Handler
	// Methods lists the methods served; the first is the canonical one.
	Methods []httpparse.Method
}

type entry struct {
	path    string
	handler Handler
	methods uint32 // bit m set when httpparse.Method m is served
	allow   string // the Allow field value listing methods, for 405
}

// Table is a static route table. The zero value routes everything to NotFound.
// A Table is immutable after New: a copy of it shares the entries with the original, and
// every loop may read them at once.
type Table struct {
	entries []entry
}

// New builds a table from routes. Paths must be distinct.
func New(routes ...Route) Table {
	t := Table{entries: make([]entry, 0, len(routes))}
	for _, r := range routes {
		e := entry{path: r.Path, handler: r.Handler}
		for i, m := range r.Methods {
			e.methods |= 1 << m
			if i > 0 {
				e.allow += ", "
			}
			e.allow += m.String()
		}
		for _, old := range t.entries {
			if old.path == r.Path {
				panic("BUG: route: duplicate path " + r.Path)
			}
		}
		t.entries = append(t.entries, e)
	}
	return t
}

// Default is the 1MRC API: POST /event, GET /stats, GET /health, plus POST /events for
// batches and GET /ready for load balancers (HEAD wherever GET is served, as RFC 9110 §9.3.2 expects of a general-purpose
// server).
func Default() Table {
	return New(
		Route{Path: "/event", Handler: Event, Methods: []httpparse.Method{httpparse.MethodPost}},
		Route{Path: "/stats", Handler: Stats, Methods: []httpparse.Method{httpparse.MethodGet, httpparse.MethodHead}},
		Route{Path: "/health", Handler: Health, Methods: []httpparse.Method{httpparse.MethodGet, httpparse.MethodHead}},
		Route{Path: "/ready", Handler: Ready, Methods: []httpparse.Method{httpparse.MethodGet, httpparse.MethodHead}},
		Route{Path: "/events", Handler: Events, Methods: []httpparse.Method{httpparse.MethodPost}},
	)
}

// Lookup returns the handler for method and path, and for MethodNotAllowed the Allow
// field value to send. path is the request path without its query. It allocates nothing.
func (t *Table) Lookup(method httpparse.Method, path []byte) (h Handler, allow string) {
	for i := range t.entries {
		e := &t.entries[i]
		if len(e.path) != len(path) || e.path != string(path) {
			continue
		}
		if e.methods&(1<<method) != 0 {
			return e.handler, ""
		}
		return MethodNotAllowed, e.allow
	}
	return NotFound, ""
}
