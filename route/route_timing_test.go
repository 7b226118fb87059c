package route

import (
	"testing"

	"github.com/onemrc/onemrc/httpparse"
)

var sinkHandler Handler

func BenchmarkLookup(b *testing.B) {
	table := Default()
	cases := []struct {
		name   string
		method httpparse.Method
		path   string
		want   Handler
	}{
		{"event", httpparse.MethodPost, "/event", Event},
		{"stats", httpparse.MethodGet, "/stats", Stats},
		{"notfound", httpparse.MethodGet, "/nothing-here", NotFound},
	}
	for _, tc := range cases {
		path := []byte(tc.path)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h, _ := table.Lookup(tc.method, path)
				if h != tc.want {
					b.Fatal("wrong handler")
				}
				sinkHandler = h
			}
		})
	}
}
