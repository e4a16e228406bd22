package views

import (
	"strings"
	"testing"
)

func TestUSD(t *testing.T) {
	for micros, want := range map[int64]string{
		0: "$0.00", 50_000_000: "$50.00", 5_500_000: "$5.50", 39_100: "$0.0391",
		38_700: "$0.0387", 1: "$0.0000", -2_500_000: "$-2.50", 499_415_200: "$499.42",
		1_000_000: "$1.00", 12_345_678: "$12.35",
	} {
		if got := USD(micros); got != want {
			t.Errorf("USD(%d) = %q, want %q", micros, got, want)
		}
	}
}

// TestChartScale checks that every grid line carries a different whole
// value and that a chart with no data draws the zero line and says so.
func TestChartScale(t *testing.T) {
	for _, tc := range []struct {
		peak int64
		want []string
	}{
		{4, []string{"0", "1", "2", "3", "4", "5"}},
		{20, []string{"0", "5", "10", "15", "20"}},
		{23, []string{"0", "5", "10", "15", "20", "25"}},
		{0, []string{"0"}},
	} {
		svg := BarChart{ID: "t", Title: "t", Days: []string{"a", "b"},
			Values: []int64{0, tc.peak}}.svg()
		var got []string
		for _, part := range strings.Split(svg, `class="y-label"`)[1:] {
			label := part[strings.Index(part, ">")+1 : strings.Index(part, "<")]
			got = append(got, label)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("peak %d: labels %v, want %v", tc.peak, got, tc.want)
		}
		if (tc.peak == 0) != strings.Contains(svg, "Nothing in these days") {
			t.Errorf("peak %d: empty note wrong", tc.peak)
		}
	}
}
