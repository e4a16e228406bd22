package quota

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestBackoffHonoursRetryAfter(t *testing.T) {
	b := Backoff{Base: time.Second, Cap: 5 * time.Second}
	if got := b.Delay(3, 34400*time.Millisecond); got != 34400*time.Millisecond {
		t.Errorf("Delay with retryAfter = %v", got)
	}
}

func TestBackoffFullJitter(t *testing.T) {
	b := Backoff{Base: time.Second, Cap: 10 * time.Second,
		Rand: rand.New(rand.NewPCG(1, 1))}
	for attempt, ceil := range []time.Duration{1, 2, 4, 8, 10, 10, 10} {
		ceil *= time.Second

		// Every draw within [0, ceil], and the draws spread over it.
		var lo, hi int
		for range 1000 {
			d := b.Delay(attempt, 0)
			if d < 0 || d > ceil {
				t.Fatalf("attempt %d: delay %v outside [0, %v]", attempt, d, ceil)
			}
			if d < ceil/4 {
				lo++
			}
			if d > ceil*3/4 {
				hi++
			}
		}
		if lo < 150 || hi < 150 {
			t.Errorf("attempt %d: %d low, %d high draws of 1000", attempt, lo, hi)
		}
	}
}

func TestBackoffRetryBudget(t *testing.T) {
	b := Backoff{Attempts: 3}
	if !b.Retry(2) || b.Retry(3) {
		t.Error("Retry does not follow Attempts")
	}
	if got := (Backoff{}).Delay(50, 0); got != 0 {
		t.Errorf("zero Backoff delay = %v", got)
	}
}
