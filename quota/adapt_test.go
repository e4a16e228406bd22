package quota

import (
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"
)

func TestPenalizePausesAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lim := NewLimiter(Limits{RPM: 60})
		start := time.Now()
		lim.Penalize(30 * time.Second)

		// Nothing goes before the provider's delay, and Paused says why.
		if _, why, ok := lim.Paused(); !ok || why != penaltyReason {
			t.Errorf("Paused = %q %v", why, ok)
		}
		if r, _ := lim.Available(); r != 0 {
			t.Errorf("Available while paused = %d", r)
		}
		if err := lim.Wait(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got < 30*time.Second {
			t.Errorf("granted %v after a 30s penalty", got)
		}

		// With no accepted calls to go by, the rate halves.
		if s := lim.Scale(); s != 0.5 {
			t.Errorf("scale after a 429 = %v, want 0.5", s)
		}

		// Calls that succeed bring it back to the configured rate.
		for lim.Scale() < 1 && time.Since(start) < 20*time.Minute {
			if err := lim.Wait(t.Context(), 1); err != nil {
				t.Fatal(err)
			}
			lim.Success(1)
		}
		if got := time.Since(start); lim.Scale() < 1 || got > 10*time.Minute {
			t.Errorf("scale %v after %v", lim.Scale(), got)
		}
	})
}

func TestPenalizeCutsToAcceptedRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lim := NewLimiter(Limits{RPM: 60, TPM: 60})

		// The provider accepted 40 calls this minute, then said 429.
		for range 40 {
			if err := lim.Wait(t.Context(), 1); err != nil {
				t.Fatal(err)
			}
			lim.Success(1)
		}
		lim.Penalize(time.Second)
		if got, want := lim.Scale(), 40.0/60; got != want {
			t.Errorf("scale = %v, want %v", got, want)
		}

		// The 429s of calls already in flight do not cut again.
		lim.Penalize(time.Second)
		time.Sleep(CutHold / 2)
		lim.Penalize(time.Second)
		if got, want := lim.Scale(), 40.0/60; got != want {
			t.Errorf("scale after a burst of 429s = %v, want %v", got, want)
		}
	})
}

func TestPenalizeWithoutDelayBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lim := NewLimiter(Limits{RPM: 60})
		lim.SetBackoff(Backoff{Base: 4 * time.Second, Cap: time.Minute,
			Rand: rand.New(rand.NewPCG(7, 7))})

		// The second strike may wait up to 8s, the first up to 4s.
		lim.Penalize(0)
		lim.Penalize(0)
		until, _, ok := lim.Paused()
		if d := time.Until(until); !ok || d > 8*time.Second {
			t.Errorf("paused for %v after two strikes", d)
		}
	})
}

func TestPauseUntil(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lim := NewLimiter(Limits{RPM: 60})
		until := time.Now().Add(2 * time.Minute)
		lim.PauseUntil(until, "billing stopped")
		at, why, ok := lim.Paused()
		if !ok || !at.Equal(until) || why != "billing stopped" {
			t.Errorf("Paused = %v %q %v", at, why, ok)
		}
		if err := lim.Wait(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		if !time.Now().Equal(until) {
			t.Errorf("granted at %v, want %v", time.Now(), until)
		}

		// Lifting a pause wakes a waiter at once.
		start := time.Now()
		lim.PauseUntil(start.Add(time.Hour), "billing stopped")
		go func() {
			time.Sleep(time.Second)
			lim.PauseUntil(time.Time{}, "")
		}()
		if err := lim.Wait(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != time.Second {
			t.Errorf("lifted pause: granted after %v, want 1s", got)
		}
		if _, _, ok := lim.Paused(); ok {
			t.Error("still paused")
		}
	})
}
