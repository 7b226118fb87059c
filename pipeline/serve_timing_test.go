package pipeline

import (
	"testing"

	"github.com/onemrc/onemrc/store"
)

var serveSink uint64

// BenchmarkServe is one connection's reads as the event loop hands them over: whole
// requests, and reads cut inside a request (the start kept on the Conn, joined with the
// next read). benchmarks/stages has the whole path against net/http; this is the cost of
// keeping partial requests on top of Process.
func BenchmarkServe(b *testing.B) {
	one := []byte(post(`{"userId":"user_12345","value":345}`))
	var two []byte
	two = append(append(two, one...), one...)
	for _, bc := range []struct {
		name  string
		reads [][]byte
	}{
		{"whole", [][]byte{two}},
		{"cut", [][]byte{two[:len(one)+len(one)/2], two[len(one)+len(one)/2:]}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := New(store.New(store.Options{}), Config{})
			var c Conn
			b.SetBytes(int64(len(two)))
			b.ReportAllocs()
			for b.Loop() {
				answered := uint64(0)
				for _, r := range bc.reads {
					answered += p.Serve(&c, r).Answered
				}
				if answered != 2 || len(c.Pending()) != 0 {
					b.Fatalf("answered %d, %d bytes pending", answered, len(c.Pending()))
				}
				p.ResetOutput()
				serveSink += answered
			}
		})
	}
}
