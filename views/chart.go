package views

import (
	"context"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// Chart draws daily token use as an SVG bar chart on the server, so the
// usage page needs no chart library and no script. Each bar carries its
// value in data attributes and a title for hover.
func Chart(days []DayUsage) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, chartSVG(days))
		return err
	})
}

const (
	chartW, chartH = 600, 160
	chartPad       = 20
)

func chartSVG(days []DayUsage) string {
	var peak int64 = 1
	for _, d := range days {
		peak = max(peak, d.Tokens)
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" data-testid="chart" viewBox="0 0 %d %d" role="img" `+
		`aria-label="Tokens per day over the last %d days, peak %d">`, chartW, chartH+chartPad,
		len(days), peak)
	slot := float64(chartW) / float64(max(len(days), 1))
	for i, d := range days {
		h := float64(d.Tokens) / float64(peak) * chartH
		x := float64(i)*slot + 1
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" `+
			`data-day="%s" data-tokens="%d"><title>%s: %d tokens, %s</title></rect>`,
			x, chartH-h, slot-2, h, d.Day, d.Tokens, html.EscapeString(d.Day), d.Tokens,
			USD(d.Micros))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="0" y1="%d" x2="%d" y2="%d"/>`, chartH, chartW, chartH)
	if len(days) > 0 {
		fmt.Fprintf(&b, `<text x="0" y="%d">%s</text>`, chartH+15, days[0].Day)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, chartW, chartH+15,
			days[len(days)-1].Day)
	}
	b.WriteString(`</svg>`)
	return b.String()
}
