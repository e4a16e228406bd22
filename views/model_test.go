package views

import "testing"

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
