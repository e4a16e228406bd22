package views

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"
)

// svgDoc is the part of the chart's SVG the test reads.
type svgDoc struct {
	Bars []struct {
		Class  string  `xml:"class,attr"`
		Height float64 `xml:"height,attr"`
		Y      float64 `xml:"y,attr"`
		Value  int64   `xml:"data-value,attr"`
	} `xml:"rect"`
}

func TestChartBarsProportional(t *testing.T) {
	values := []int64{0, 120, 40, 0, 370, 5}
	c := BarChart{ID: "t", Title: "Tokens <per> day", Values: values,
		Days: []string{"d1", "d2", "d3", "d4", "d5", "d6"}}
	var doc svgDoc
	if err := xml.NewDecoder(strings.NewReader(c.svg())).Decode(&doc); err != nil {
		t.Fatalf("not well-formed SVG: %v", err)
	}
	if len(doc.Bars) != len(values) {
		t.Fatalf("%d bars, want %d", len(doc.Bars), len(values))
	}
	top := float64(niceCeil(370))
	for i, b := range doc.Bars {
		want := float64(values[i]) / top * plotH
		if b.Value != values[i] || math.Abs(b.Height-want) > 1e-3 ||
			math.Abs(b.Y+b.Height-chartBaseline) > 1e-3 {
			t.Errorf("bar %d: value %d height %.3f y %.3f, want %d, %.3f on the baseline",
				i, b.Value, b.Height, b.Y, values[i], want)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	for v, want := range map[int64]int64{0: 1, 1: 1, 3: 5, 11: 20, 21: 25, 26: 50,
		370: 500, 1000: 1000, 1001: 2000} {
		if got := niceCeil(v); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", v, got, want)
		}
	}
}
