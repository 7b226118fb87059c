//go:build !race

package event

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDecodeAllocs proves the decode path allocates nothing once a Decoder
// has decoded one body with escapes (its scratch is then at its final size).
func TestDecodeAllocs(t *testing.T) {
	bodies := map[string]string{
		"typical":       `{"userId":"user_12345","value":345}`,
		"python-spaced": `{"userId": "user_12345", "value": 345}`,
		"escaped":       `{"userId":"user\u00e9\ud83d\ude00","value":1.5}`,
		"exponent":      `{"userId":"user_12345","value":3.45e2}`,
		"not small":     `{"userId":"u","value":1.7976931348623157e308}`,
		"range limit":   `{"userId":"u","value":2.4703282292062328e-324}`,
		"unknown":       `{"meta":{"tags":["a","b\n"],"n":null},"userId":"u","value":-0}`,
		"escaped name":  `{"\u0075serId":"u","value":1}`,
		"rejected":      `{"userId":"u","value":1e999}`,
	}
	var d Decoder
	var ev Event
	_ = d.Decode([]byte(`{"userId":"\n","value":1}`), &ev) // warm-up: sizes the scratch
	for name, body := range bodies {
		b := []byte(body)
		wantErr := d.Decode(b, &ev)
		allocs := testing.AllocsPerRun(100, func() {
			if err := d.Decode(b, &ev); err != wantErr {
				panic(err)
			}
		})
		require.Zero(t, allocs, name)
	}
}

// TestDecodeAllocsCold: the first decode of a body without escapes needs no
// scratch at all, so even a fresh Decoder does not allocate.
func TestDecodeAllocsCold(t *testing.T) {
	body := []byte(`{"userId":"user_12345","value":345}`)
	var ev Event
	allocs := testing.AllocsPerRun(100, func() {
		var d Decoder
		if err := d.Decode(body, &ev); err != nil {
			panic(err)
		}
	})
	require.Zero(t, allocs)
}
