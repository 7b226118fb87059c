package pipeline

import (
	"github.com/onemrc/onemrc/httpparse"
	"github.com/onemrc/onemrc/route"
)

// The request metrics are labelled by method and endpoint, both from closed sets so that
// a client cannot make the series grow: the methods below, and the route table's paths
// (derived from the table, so a new route gets its label with no edit here), each with
// "other" for the rest. A (method, endpoint) pair is a small integer that indexes the
// counter arrays; a request costs a switch and an array load to find it.

// metricMethods are the method label values.
var metricMethods = [...]string{"GET", "HEAD", "POST", "other"}

const (
	numMethods = len(metricMethods)
	// maxEndpoints bounds the endpoint label values, "other" included: a table's routes
	// past the first maxEndpoints-1 are labelled "other". A batch keeps the pairs it
	// answered in one uint64, hence numPairs <= 64.
	maxEndpoints = 16
	numPairs     = numMethods * maxEndpoints
	otherMethod  = numMethods - 1
	// ambiguous marks a handler that more than one path reaches (and MethodNotAllowed,
	// which any path may give): its endpoint is found by path.
	ambiguous = 0xff
)

const _ = uint(64 - numPairs) // fails to compile when the pairs outgrow a batch's mask

func pairOf(method, endpoint int) int { return method*maxEndpoints + endpoint }

func methodIndex(m httpparse.Method) int {
	switch m {
	case httpparse.MethodGet:
		return 0
	case httpparse.MethodHead:
		return 1
	case httpparse.MethodPost:
		return 2
	}
	return otherMethod
}

// endpointLabels is what a route table gives the metrics: built once per pipeline, then
// read only.
type endpointLabels struct {
	names     []string // the endpoint label values: route paths, then "other"
	other     int      // index of "other"
	byHandler [256]uint8
	// served has the bit of each pair the table serves (a route's path with one of its
	// methods): those series are exposed from the start, at zero, so that a dashboard
	// shows 0 rather than no data before the first request.
	served uint64
}

func newEndpointLabels(t *route.Table) *endpointLabels {
	n := min(t.Len(), maxEndpoints-1)
	l := &endpointLabels{other: n}
	for i := range l.byHandler {
		l.byHandler[i] = uint8(n)
	}
	seen := [256]bool{}
	for i := range t.Len() {
		r := t.Route(i)
		e := min(i, n)
		if i < n {
			l.names = append(l.names, r.Path)
		}
		switch {
		case !seen[r.Handler]:
			l.byHandler[r.Handler] = uint8(e)
			seen[r.Handler] = true
		case int(l.byHandler[r.Handler]) != e:
			l.byHandler[r.Handler] = ambiguous
		}
		for _, m := range r.Methods {
			l.served |= 1 << pairOf(methodIndex(m), e)
		}
	}
	l.names = append(l.names, "other")
	l.byHandler[route.MethodNotAllowed] = ambiguous
	return l
}

// endpoint labels a request by the route that served it, or by its path when the route
// exists but not for the method (405).
func (l *endpointLabels) endpoint(h route.Handler, path []byte) int {
	if e := l.byHandler[h]; e != ambiguous {
		return int(e)
	}
	for i, name := range l.names[:l.other] {
		if name == string(path) {
			return i
		}
	}
	return l.other
}
