package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// elementCounts decodes the whole document with encoding/xml (so it must be
// well-formed) and counts start elements by name.
func elementCounts(t *testing.T, doc []byte) map[string]int {
	t.Helper()
	counts := map[string]int{}
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
				assert.Equal(t, "http://www.w3.org/2000/svg", se.Name.Space)
			}
			counts[se.Name.Local]++
		}
	}
	require.Equal(t, "svg", root)
	return counts
}

func TestWriteSVGIsWellFormed(t *testing.T) {
	cells, modes, peers := fakeCells()
	rows := summarize(cells, modes, peers)
	names := []string{"onemrc", "fasthttp", "nginx"}
	var b bytes.Buffer
	require.NoError(t, writeSVG(&b, `peers <&> "quotes"`, resultCharts(rows, modes, names)))
	counts := elementCounts(t, b.Bytes())
	// 1 background + 3 legend swatches + 2 panels * 2 modes * 3 peers bars.
	assert.Equal(t, 1+3+2*2*3, counts["rect"])
	assert.Equal(t, 2*2*3, counts["title"])
}

func TestWriteSVGSkipsMissingBars(t *testing.T) {
	chart := barChart{Title: "t", Series: []string{"a", "b"}, Format: func(v float64) string { return "x<" },
		Groups: []barGroup{{Label: "g&1", Values: []float64{1, math.NaN()}}, {Label: "g2", Values: []float64{math.NaN(), 0}}}}
	var b bytes.Buffer
	require.NoError(t, writeSVG(&b, "t", []barChart{chart}))
	counts := elementCounts(t, b.Bytes())
	assert.Equal(t, 1+2+2, counts["rect"], "background, legend, two present bars")

	b.Reset()
	require.NoError(t, writeSVG(&b, "empty", nil))
	elementCounts(t, b.Bytes())
}

func TestNiceCeil(t *testing.T) {
	cases := map[float64]float64{0: 1, 0.7: 1, 1: 1, 1.2: 2, 3: 5, 7.5: 10, 10: 10, 42: 50, 343167: 500000}
	for in, want := range cases {
		assert.InDelta(t, want, niceCeil(in), want*1e-12, "niceCeil(%v)", in)
	}
}
