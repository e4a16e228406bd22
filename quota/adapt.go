package quota

import (
	"math"
	"time"
)

// CutHold is the least time between two rate cuts. The calls in flight
// when a quota runs out come back as a burst of 429s within a few seconds;
// they describe one event and must not cut the rate once each.
const CutHold = 10 * time.Second

// penaltyReason is what Paused reports while a 429's delay runs.
const penaltyReason = "rate limited by the provider"

// dailyReason is what Paused reports when RPD is spent.
const dailyReason = "daily request limit reached"

// Penalize is called when the provider answered 429 for a per-minute
// limit. Every grant pauses until now+retryAfter, or for a jittered
// exponential back-off when retryAfter is 0, and the effective rate drops
// (see the package doc).
func (l *Limiter) Penalize(retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.roll(now)

	// Pause, never shortening a pause already running.
	delay := l.backoff.Delay(l.strikes, retryAfter)
	l.strikes++
	if until := now.Add(delay); until.After(l.penaltyUntil) {
		l.penaltyUntil = until
	}

	// Cut once per event, down to what the provider really accepted but
	// never below half, so one unlucky 429 cannot stall the team.
	if l.lastCut.IsZero() || now.Sub(l.lastCut) >= CutHold {
		next := math.Min(l.scale, math.Max(l.scale/2, l.acceptedShare()))
		if next < l.scale {
			l.scale = math.Max(next, 1/float64(l.cfg.RPM))
			l.lastCut = now
			l.applyScale(now)
		}
	}
	l.broadcast()
}

// acceptedShare is the share of the configured limits that the provider
// accepted in the last window: the larger of the request and token shares,
// since whichever is nearer its limit is the one the provider enforces.
func (l *Limiter) acceptedShare() float64 {
	var reqs, toks int64
	for _, g := range l.ok {
		reqs++
		toks += g.tokens
	}
	share := float64(reqs) / float64(l.cfg.RPM)
	if l.cfg.TPM > 0 {
		share = math.Max(share, float64(toks)/float64(l.cfg.TPM))
	}
	return share
}

// Success is called when the provider accepted a call of tokens. It resets
// the back-off and raises a reduced rate again: by one request a minute
// (at full use) for the first calm minute after a cut, doubling for each
// further calm minute.
func (l *Limiter) Success(tokens int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.roll(now)
	l.ok = append(l.ok, grant{at: now, tokens: max(tokens, 0)})
	l.strikes = 0
	if l.scale >= 1 {
		return
	}

	// Spread the minute's increase over the calls a minute holds.
	calm := min(int(now.Sub(l.lastCut)/time.Minute), 20)
	perMinute := math.Ldexp(1, calm) / float64(l.cfg.RPM)
	rpm, _ := l.effective()
	l.scale = math.Min(1, l.scale+perMinute/float64(rpm))
	l.applyScale(now)
	l.broadcast()
}

// Scale returns the share of the configured limits in force, 1 when no
// 429 has lowered it.
func (l *Limiter) Scale() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.scale
}

// PauseUntil stops all grants until t, for reason (a per-day quota spent,
// a billing stop). A zero t lifts the pause.
func (l *Limiter) PauseUntil(t time.Time, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pauseUntil, l.pauseReason = t, reason
	l.broadcast()
}

// Paused reports whether grants are stopped right now, until when and why:
// a PauseUntil, a 429's delay, or the daily request limit.
func (l *Limiter) Paused() (until time.Time, reason string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.roll(now)
	if l.pauseUntil.After(now) && !l.pauseUntil.Before(l.penaltyUntil) {
		return l.pauseUntil, l.pauseReason, true
	}
	if l.penaltyUntil.After(now) {
		return l.penaltyUntil, penaltyReason, true
	}
	if l.cfg.RPD > 0 && l.day >= l.cfg.RPD {
		return l.dayEnds, dailyReason, true
	}
	return time.Time{}, "", false
}
