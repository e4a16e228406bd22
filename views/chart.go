package views

import (
	"context"
	"fmt"
	"html"
	"io"
	"math"
	"strings"

	"github.com/a-h/templ"
)

// BarChart is a daily bar chart drawn on the server as SVG, so the usage
// page needs no chart library and no script. Each bar carries its value in
// data attributes and a title for hover; the chart names itself and its
// peak for screen readers, and the page shows the same numbers as a table.
type BarChart struct {
	ID     string   // unique on the page; used for aria references
	Title  string   // "Tokens per day"
	Days   []string // "2006-01-02", one per bar
	Values []int64
	Format func(int64) string // axis and hover labels
}

// Chart renders the chart.
func Chart(c BarChart) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, c.svg())
		return err
	})
}

// The plot area inside the SVG's view box, leaving room for the axes.
const (
	chartW, chartH       = 640, 200
	plotLeft, plotRight  = 64, 8
	plotTop, plotBottom  = 12, 28
	plotW                = chartW - plotLeft - plotRight
	plotH                = chartH - plotTop - plotBottom
	chartBaseline        = plotTop + plotH
	chartXLabelY         = chartBaseline + 18
	chartYLabelX         = plotLeft - 6
	chartGridLines       = 4
	chartMinimumBarWidth = 1
)

func (c BarChart) svg() string {
	format := c.Format
	if format == nil {
		format = func(v int64) string { return fmt.Sprint(v) }
	}
	var peak int64
	for _, v := range c.Values {
		peak = max(peak, v)
	}
	top := niceCeil(peak)

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" data-testid="chart-%s" viewBox="0 0 %d %d" `+
		`role="img" aria-labelledby="%s-title %s-desc" data-top="%d">`,
		c.ID, chartW, chartH, c.ID, c.ID, top)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title>`, c.ID, html.EscapeString(c.Title))
	fmt.Fprintf(&b, `<desc id="%s-desc">%s</desc>`, c.ID,
		html.EscapeString(c.describe(peak, format)))
	c.writeGrid(&b, top, peak == 0, format)
	if peak == 0 {
		fmt.Fprintf(&b, `<text class="empty-note" x="%d" y="%d" text-anchor="middle">`+
			`Nothing in these days</text>`, plotLeft+plotW/2, chartBaseline/2)
	}
	c.writeBars(&b, top, format)
	c.writeDays(&b)
	b.WriteString(`</svg>`)
	return b.String()
}

// describe says in words what the chart shows.
func (c BarChart) describe(peak int64, format func(int64) string) string {
	if len(c.Days) == 0 {
		return "No days to show."
	}
	var total int64
	for _, v := range c.Values {
		total += v
	}
	return fmt.Sprintf("%d days from %s to %s; total %s, busiest day %s.", len(c.Days),
		c.Days[0], c.Days[len(c.Days)-1], format(total), format(peak))
}

// writeGrid draws horizontal lines with their values on the left.
//
// A scale smaller than the number of lines gets one line per unit, so no
// two lines carry the same value; an empty chart gets the zero line only.
func (c BarChart) writeGrid(b *strings.Builder, top int64, empty bool,
	format func(int64) string) {
	lines := gridLines(top)
	if empty {
		lines = 0
	}
	for i := int64(0); i <= lines; i++ {
		v := top * i / max(lines, 1)
		y := float64(chartBaseline) - float64(plotH)*float64(i)/float64(max(lines, 1))
		class := "grid"
		if i == 0 {
			class = "axis"
		}
		fmt.Fprintf(b, `<line class="%s" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`,
			class, plotLeft, y, chartW-plotRight, y)
		fmt.Fprintf(b, `<text class="y-label" x="%d" y="%.1f" text-anchor="end" `+
			`dominant-baseline="middle">%s</text>`, chartYLabelX, y, html.EscapeString(format(v)))
	}
}

// writeBars draws one bar per day, its height proportional to its value.
func (c BarChart) writeBars(b *strings.Builder, top int64, format func(int64) string) {
	slot := float64(plotW) / float64(max(len(c.Values), 1))
	width := math.Max(slot-2, chartMinimumBarWidth)
	for i, v := range c.Values {
		h := float64(v) / float64(top) * plotH
		x := plotLeft + float64(i)*slot + 1
		day := html.EscapeString(c.Days[i])
		fmt.Fprintf(b, `<rect class="bar" x="%.2f" y="%.4f" width="%.2f" height="%.4f" `+
			`data-day="%s" data-value="%d"><title>%s: %s</title></rect>`,
			x, chartBaseline-h, width, h, day, v, day, html.EscapeString(format(v)))
	}
}

// writeDays labels the first, middle and last day under the bars.
func (c BarChart) writeDays(b *strings.Builder) {
	n := len(c.Days)
	if n == 0 {
		return
	}
	slot := float64(plotW) / float64(n)
	for _, i := range []int{0, n / 2, n - 1} {
		anchor := "middle"
		switch i {
		case 0:
			anchor = "start"
		case n - 1:
			anchor = "end"
		}
		x := plotLeft + float64(i)*slot + slot/2
		if anchor == "start" {
			x = plotLeft
		} else if anchor == "end" {
			x = chartW - plotRight
		}
		fmt.Fprintf(b, `<text class="x-label" x="%.1f" y="%d" text-anchor="%s">%s</text>`,
			x, chartXLabelY, anchor, html.EscapeString(c.Days[i]))
	}
}

// gridLines picks how many steps the scale has so that every line falls
// on a whole value: one per unit up to five, else four or five steps.
func gridLines(top int64) int64 {
	if top <= 5 {
		return top
	}
	for _, n := range []int64{chartGridLines, 5, 2} {
		if top%n == 0 {
			return n
		}
	}
	return 1
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten, so the
// axis reads in round numbers. It is at least 1, so an empty chart still
// has a scale.
func niceCeil(v int64) int64 {
	if v <= 1 {
		return 1
	}
	pow := int64(1)
	for pow*10 < v {
		pow *= 10
	}
	for _, tenths := range []int64{10, 20, 25, 50} {
		if c := pow * tenths / 10; c >= v {
			return c
		}
	}
	return pow * 10
}
