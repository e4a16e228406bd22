package quota

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// recorder collects grant times and tokens from many goroutines.
type recorder struct {
	mu     sync.Mutex
	grants []grant
}

func (r *recorder) add(tokens int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.grants = append(r.grants, grant{at: time.Now(), tokens: tokens})
}

// maxInWindow returns the most requests and tokens found in any Window
// [t, t+Window) starting at a grant; the maxima always start at one.
func maxInWindow(gs []grant) (reqs, toks int64) {
	for i := range gs {
		var n, sum int64
		for _, g := range gs {
			if !g.at.Before(gs[i].at) && g.at.Before(gs[i].at.Add(Window)) {
				n++
				sum += g.tokens
			}
		}
		reqs, toks = max(reqs, n), max(toks, sum)
	}
	return reqs, toks
}

// waitAll starts one goroutine per token count, each calling Wait once.
func waitAll(t *testing.T, lim *Limiter, tokens []int64) *recorder {
	t.Helper()
	rec := &recorder{}
	var wg sync.WaitGroup
	for _, tk := range tokens {
		wg.Go(func() {
			if err := lim.Wait(t.Context(), tk); err != nil {
				t.Errorf("Wait: %v", err)
				return
			}
			rec.add(tk)
		})
	}
	wg.Wait()
	return rec
}

func TestLimiterWindowBoundUnderBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		lim := NewLimiter(Limits{RPM: 60})
		rec := waitAll(t, lim, make([]int64, 600))

		// Never more than RPM in any window...
		reqs, _ := maxInWindow(rec.grants)
		if reqs > 60 {
			t.Errorf("max requests in a window = %d, want <= 60", reqs)
		}

		// ...yet at the limit: 600 requests are ten windows of work, the
		// first of which starts at once.
		took := rec.grants[len(rec.grants)-1].at.Sub(start)
		if took > 10*time.Minute {
			t.Errorf("600 requests took %v, want under 10m", took)
		}
	})
}

func TestLimiterTokensPerMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		lim := NewLimiter(Limits{RPM: 1000, TPM: 60})
		rng := rand.New(rand.NewPCG(1, 2))
		tokens := make([]int64, 200)
		total := int64(0)
		for i := range tokens {
			tokens[i] = 1 + rng.Int64N(4)
			total += tokens[i]
		}

		// Serve in order, as the dispatcher does.
		rec := &recorder{}
		for _, tk := range tokens {
			if err := lim.Wait(t.Context(), tk); err != nil {
				t.Fatal(err)
			}
			rec.add(tk)
		}
		_, toks := maxInWindow(rec.grants)
		if toks > 60 {
			t.Errorf("max tokens in a window = %d, want <= 60", toks)
		}

		// The last grant opens the last window; all before it took
		// total - 60 tokens at no less than 95% of the limit.
		took := rec.grants[len(rec.grants)-1].at.Sub(start)
		rate := float64(total-60) / took.Minutes()
		if rate < 0.95*60 {
			t.Errorf("token rate %.1f/min over %v, want >= 57", rate, took)
		}
	})
}

func TestLimiterRequestsPerDay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lim := NewLimiter(Limits{RPM: 100, RPD: 5})
		reset := NextPacificMidnight(time.Now())
		for range 5 {
			if err := lim.Wait(t.Context(), 0); err != nil {
				t.Fatal(err)
			}
		}

		// The sixth request waits for Pacific midnight, and says why.
		until, reason, ok := lim.Paused()
		if !ok || !until.Equal(reset) || reason != dailyReason {
			t.Errorf("Paused = %v %q %v, want %v daily", until, reason, ok, reset)
		}
		if err := lim.Wait(t.Context(), 0); err != nil {
			t.Fatal(err)
		}
		if now := time.Now(); !now.Equal(reset) {
			t.Errorf("sixth grant at %v, want %v", now, reset)
		}
		if h := reset.In(pacific).Hour(); h != 0 {
			t.Errorf("reset at Pacific hour %d", h)
		}
	})
}

func TestNextPacificMidnightAcrossDST(t *testing.T) {
	// 2026-03-08 is the spring-forward day in Los Angeles: 23 hours long.
	at := time.Date(2026, 3, 8, 1, 0, 0, 0, pacific)
	got := NextPacificMidnight(at)
	want := time.Date(2026, 3, 9, 7, 0, 0, 0, time.UTC)
	if !got.Equal(want) {
		t.Errorf("NextPacificMidnight = %v, want %v", got, want)
	}
}

func TestLimiterSetLimitsWakesWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		lim := NewLimiter(Limits{RPM: 1})
		if err := lim.Wait(t.Context(), 0); err != nil {
			t.Fatal(err)
		}

		// A raise while a request waits lets it go at once.
		go func() {
			time.Sleep(10 * time.Second)
			lim.SetLimits(Limits{RPM: 120})
		}()
		if err := lim.Wait(t.Context(), 0); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got > 11*time.Second {
			t.Errorf("raised: granted after %v, want about 10s", got)
		}

		// A cut makes the next one wait until the window has room.
		lim.SetLimits(Limits{RPM: 2})
		if err := lim.Wait(t.Context(), 0); err != nil {
			t.Fatal(err)
		}
		want := Window + Margin
		if got := time.Since(start); got != want {
			t.Errorf("lowered: granted after %v, want %v", got, want)
		}
		if got := lim.Limits(); got != (Limits{RPM: 2}) {
			t.Errorf("Limits = %+v", got)
		}
	})
}

func TestLimiterLimitChangesUnderLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		lim := NewLimiter(Limits{RPM: 30})
		ctx, cancel := context.WithTimeout(t.Context(), 12*time.Minute)
		defer cancel()
		go func() {
			time.Sleep(4 * time.Minute)
			lim.SetLimits(Limits{RPM: 6})
			time.Sleep(4 * time.Minute)
			lim.SetLimits(Limits{RPM: 120})
		}()

		// A dispatcher with endless work.
		rec := &recorder{}
		for lim.Wait(ctx, 0) == nil {
			rec.add(0)
		}
		count := func(from, to time.Duration) (n int) {
			for _, g := range rec.grants {
				d := g.at.Sub(start)
				if d >= from && d < to {
					n++
				}
			}
			return n
		}

		// After the cut has drained the window: 6 a minute, not more.
		if n := count(5*time.Minute, 8*time.Minute); n < 17 || n > 18 {
			t.Errorf("at RPM 6: %d grants in 3 minutes", n)
		}

		// After the raise: the new limit is used at once.
		if n := count(9*time.Minute, 11*time.Minute); n < 238 {
			t.Errorf("at RPM 120: %d grants in 2 minutes", n)
		}
	})
}

func TestLimiterTooLarge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lim := NewLimiter(Limits{RPM: 10, TPM: 4})
		if err := lim.Wait(t.Context(), 5); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Wait(5) = %v, want ErrTooLarge", err)
		}
		if _, err := lim.Allow(5); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Allow(5) = %v, want ErrTooLarge", err)
		}

		// A waiter whose request stops fitting when TPM drops is told so.
		if err := lim.Wait(t.Context(), 4); err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(time.Second)
			lim.SetLimits(Limits{RPM: 10, TPM: 3})
		}()
		if err := lim.Wait(t.Context(), 4); !errors.Is(err, ErrTooLarge) {
			t.Errorf("after TPM cut: %v, want ErrTooLarge", err)
		}
	})
}

func TestLimiterCancelConsumesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		lim := NewLimiter(Limits{RPM: 1})
		if ok, _ := lim.Allow(0); !ok {
			t.Fatal("first Allow refused")
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if err := lim.Wait(ctx, 0); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Wait = %v, want deadline", err)
		}
		if lim.Waiting() != 0 {
			t.Error("cancelled waiter still in line")
		}

		// The slot the cancelled call did not take goes to the next one.
		if err := lim.Wait(t.Context(), 0); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != Window+Margin {
			t.Errorf("next grant after %v, want %v", got, Window+Margin)
		}
	})
}

func TestLimiterAvailable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lim := NewLimiter(Limits{RPM: 60, TPM: 60, RPD: 1000})
		if r, tk := lim.Available(); r != 60 || tk != 60 {
			t.Errorf("fresh Available = %d, %d", r, tk)
		}
		for range 3 {
			if err := lim.Wait(t.Context(), 3); err != nil {
				t.Fatal(err)
			}
		}
		if r, tk := lim.Available(); r != 57 || tk != 51 {
			t.Errorf("after 3×3: Available = %d, %d, want 57, 51", r, tk)
		}
		time.Sleep(Window + Margin)
		if r, tk := lim.Available(); r != 60 || tk != 60 {
			t.Errorf("a window later: Available = %d, %d", r, tk)
		}
		if _, tk := NewLimiter(Limits{RPM: 5}).Available(); tk != Unlimited {
			t.Errorf("no TPM: tokens = %d, want Unlimited", tk)
		}
	})
}

func TestLimiterETAMatchesGrants(t *testing.T) {
	for _, ahead := range []int64{0, 5, 40, 130} {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			lim := NewLimiter(Limits{RPM: 60, TPM: 90})
			for range 20 {
				if err := lim.Wait(t.Context(), 2); err != nil {
					t.Fatal(err)
				}
			}

			// Predict, then do the work ahead and the job itself.
			asked := time.Now()
			eta := lim.ETAJob(ahead, 2*ahead, 3)
			for range ahead {
				if err := lim.Wait(t.Context(), 2); err != nil {
					t.Fatal(err)
				}
			}
			if err := lim.Wait(t.Context(), 3); err != nil {
				t.Fatal(err)
			}
			if got := time.Since(asked); got != eta {
				t.Errorf("ahead %d: ETA %v, granted after %v", ahead, eta,
					time.Since(start))
			}
		})
	}
}
