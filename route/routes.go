package route

import "github.com/onemrc/onemrc/httpparse"

// Len is the number of routes in the table.
func (t *Table) Len() int { return len(t.entries) }

// Route returns route i, in the order New was given them, so that a caller can derive
// what depends on the table (package pipeline labels its metrics by path) instead of
// keeping a second list that a new route would leave stale. Its Methods are in
// httpparse.Method order. Startup code only: it allocates.
func (t *Table) Route(i int) Route {
	e := &t.entries[i]
	r := Route{Path: e.path, Handler: e.handler}
	for m := httpparse.Method(0); m < 32; m++ {
		if e.methods&(1<<m) != 0 {
			r.Methods = append(r.Methods, m)
		}
	}
	return r
}

// PathOf returns the path of the first route served by h, and false when none is.
func (t *Table) PathOf(h Handler) (string, bool) {
	for _, e := range t.entries {
		if e.handler == h {
			return e.path, true
		}
	}
	return "", false
}
