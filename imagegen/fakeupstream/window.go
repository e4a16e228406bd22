package fakeupstream

import (
	"time"
)

// Limits are one model's quotas. Zero means unlimited.
type Limits struct {
	RPM int // requests in any 60-second window
	TPM int // tokens (weighted images) in any 60-second window
	RPD int // requests per day, reset at midnight Pacific
}

// windowSpan is the length of the strict sliding window the real API
// counts per-minute quotas over.
const windowSpan = 60 * time.Second

// stamp is one admitted request: when, and how many tokens it carried.
type stamp struct {
	at     time.Time
	tokens int
}

// window counts one model's admitted requests. It is strict: a request
// admitted at t counts until t+60s, so no 60-second interval ever holds
// more than the limit.
type window struct {
	stamps   []stamp
	day      time.Time // start of the current quota day
	dayCount int
}

// verdict says why a request was refused and how long until it would fit.
type verdict struct {
	quota string // "" when admitted; else "rpm", "tpm" or "rpd"
	wait  time.Duration
}

// admit records the request when it fits in every limit, or says which
// limit it breaks and how long until it would fit.
func (w *window) admit(now time.Time, tokens int, lim Limits) verdict {
	w.prune(now)

	// The daily count resets at midnight Pacific, as the real API does.
	if day := pacificDay(now); !day.Equal(w.day) {
		w.day, w.dayCount = day, 0
	}
	if lim.RPD > 0 && w.dayCount+1 > lim.RPD {
		return verdict{quota: "rpd", wait: w.day.AddDate(0, 0, 1).Sub(now)}
	}

	// Per-minute requests: wait until the oldest stamp falls out.
	if lim.RPM > 0 && len(w.stamps)+1 > lim.RPM {
		return verdict{quota: "rpm", wait: w.freeAt(now, len(w.stamps)+1-lim.RPM)}
	}

	// Per-minute tokens: wait until enough of the oldest fall out.
	if lim.TPM > 0 && w.tokens()+tokens > lim.TPM {
		return verdict{quota: "tpm", wait: w.tokensFreeAt(now, tokens, lim.TPM)}
	}
	w.stamps = append(w.stamps, stamp{at: now, tokens: tokens})
	w.dayCount++
	return verdict{}
}

// prune drops the stamps that no longer count at now.
func (w *window) prune(now time.Time) {
	i := 0
	for i < len(w.stamps) && !now.Before(w.stamps[i].at.Add(windowSpan)) {
		i++
	}
	w.stamps = w.stamps[i:]
}

// tokens sums the tokens still in the window.
func (w *window) tokens() int {
	sum := 0
	for _, s := range w.stamps {
		sum += s.tokens
	}
	return sum
}

// freeAt is the time until n more stamps have fallen out of the window.
func (w *window) freeAt(now time.Time, n int) time.Duration {
	return w.stamps[n-1].at.Add(windowSpan).Sub(now)
}

// tokensFreeAt is the time until a request of want tokens fits under
// limit. A request larger than the limit never fits; it is told to wait a
// whole window, which is what a client that retries it will keep seeing.
func (w *window) tokensFreeAt(now time.Time, want, limit int) time.Duration {
	if want > limit {
		return windowSpan
	}
	held := w.tokens()
	for _, s := range w.stamps {
		held -= s.tokens
		if held+want <= limit {
			return s.at.Add(windowSpan).Sub(now)
		}
	}
	return windowSpan
}

// pacific is the zone whose midnight resets daily quotas. Without the
// tz database a fixed UTC-8 is close enough for a fake (it is off by one
// hour in summer).
var pacific = func() *time.Location {
	if loc, err := time.LoadLocation("America/Los_Angeles"); err == nil {
		return loc
	}
	return time.FixedZone("PST", -8*3600)
}()

// pacificDay is the start of the quota day holding t.
func pacificDay(t time.Time) time.Time {
	p := t.In(pacific)
	return time.Date(p.Year(), p.Month(), p.Day(), 0, 0, 0, 0, pacific)
}
