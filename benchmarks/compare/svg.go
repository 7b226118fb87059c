package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
)

// barChart is one panel of grouped bars: a group per mode, a bar per peer.
type barChart struct {
	Title  string
	Series []string // bar names, in order, one colour each
	Groups []barGroup
	// Format renders a bar's value label.
	Format func(float64) string
}

// barGroup is one cluster; Values[i] belongs to Series[i] (NaN: no bar).
type barGroup struct {
	Label  string
	Values []float64
}

// Layout of the hand-written SVG, in user units.
const (
	svgWidth       = 900
	svgLegendH     = 56
	svgPanelH      = 300
	svgPlotLeft    = 80
	svgPlotRight   = 880
	svgPlotTop     = 44 // within a panel, below its title
	svgPlotBottom  = 250
	svgTicks       = 5
	svgGroupMargin = 0.2 // share of a group's width left empty
)

// seriesColors gives each known peer a stable colour; others cycle fallbacks.
var seriesColors = map[string]string{
	"onemrc":   "#d62728",
	"nethttp":  "#7f7f7f",
	"fasthttp": "#2ca02c",
	"nginx":    "#1f77b4",
}

var fallbackColors = []string{"#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf"}

func colorFor(i int, name string) string {
	if c, ok := seriesColors[name]; ok {
		return c
	}
	return fallbackColors[i%len(fallbackColors)]
}

// esc escapes text for an XML text node or attribute value.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, so axis ticks fall
// on round numbers.
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}

// writeSVG renders the charts stacked under a title and a shared legend
// (the series of the first chart).
func writeSVG(w io.Writer, title string, charts []barChart) error {
	var b bytes.Buffer
	height := svgLegendH + svgPanelH*len(charts)
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		svgWidth, height, svgWidth, height)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", svgWidth, height)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="16" font-weight="bold">%s</text>`+"\n", svgPlotLeft, esc(title))
	if len(charts) > 0 {
		x := svgPlotLeft
		for i, name := range charts[0].Series {
			fmt.Fprintf(&b, `<rect x="%d" y="34" width="12" height="12" fill="%s"/>`, x, colorFor(i, name))
			fmt.Fprintf(&b, `<text x="%d" y="45">%s</text>`+"\n", x+16, esc(name))
			x += 24 + 8*len(name) + 16
		}
	}
	for i, c := range charts {
		writePanel(&b, c, svgLegendH+i*svgPanelH)
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// writePanel draws one chart with its top edge at y0.
func writePanel(b *bytes.Buffer, c barChart, y0 int) {
	top, bottom := float64(y0+svgPlotTop), float64(y0+svgPlotBottom)
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="14">%s</text>`+"\n", svgPlotLeft, y0+24, esc(c.Title))

	maxV := 0.0
	for _, g := range c.Groups {
		for _, v := range g.Values {
			if !math.IsNaN(v) && v > maxV {
				maxV = v
			}
		}
	}
	axisMax := niceCeil(maxV)
	yOf := func(v float64) float64 { return bottom - (bottom-top)*v/axisMax }

	for t := 0; t <= svgTicks; t++ {
		v := axisMax * float64(t) / svgTicks
		y := yOf(v)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#dddddd"/>`, svgPlotLeft, y, svgPlotRight, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", svgPlotLeft-6, y+4, esc(c.Format(v)))
	}
	fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333333"/>`+"\n", svgPlotLeft, bottom, svgPlotRight, bottom)

	if len(c.Groups) == 0 || len(c.Series) == 0 {
		return
	}
	groupW := float64(svgPlotRight-svgPlotLeft) / float64(len(c.Groups))
	barW := groupW * (1 - svgGroupMargin) / float64(len(c.Series))
	for gi, g := range c.Groups {
		gx := float64(svgPlotLeft) + groupW*float64(gi) + groupW*svgGroupMargin/2
		for si, name := range c.Series {
			if si >= len(g.Values) || math.IsNaN(g.Values[si]) {
				continue
			}
			v := g.Values[si]
			x, y := gx+barW*float64(si), yOf(v)
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s</title></rect>`,
				x, y, barW-2, bottom-y, colorFor(si, name), esc(g.Label), esc(name), esc(c.Format(v)))
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%s</text>`+"\n",
				x+(barW-2)/2, y-3, esc(c.Format(v)))
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="13">%s</text>`+"\n",
			gx+groupW*(1-svgGroupMargin)/2, bottom+20, esc(g.Label))
	}
}

// resultCharts turns the summary into the two panels of results.svg.
func resultCharts(rows []summaryRow, modes []mode, peers []string) []barChart {
	cpu := barChart{Title: "Server CPU µs per request, median (lower is better)", Series: peers,
		Format: func(v float64) string { return fmt.Sprintf("%.1f", v) }}
	rps := barChart{Title: "Requests per second, median (higher is better)", Series: peers,
		Format: func(v float64) string { return fmt.Sprintf("%.0fk", v/1000) }}
	for _, m := range modes {
		label := fmt.Sprintf("%s (%d conns, depth %d)", m.Name, m.Conns, m.Depth)
		cg, rg := barGroup{Label: label}, barGroup{Label: label}
		for _, p := range peers {
			r := findRow(rows, m.Name, p)
			c, q := math.NaN(), math.NaN()
			if r != nil {
				c, q = float64(r.CPUMicrosPerReq), float64(r.ReqPerSec)
			}
			cg.Values = append(cg.Values, c)
			rg.Values = append(rg.Values, q)
		}
		cpu.Groups = append(cpu.Groups, cg)
		rps.Groups = append(rps.Groups, rg)
	}
	return []barChart{cpu, rps}
}
