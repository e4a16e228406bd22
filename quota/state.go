package quota

import (
	"math"
	"time"

	"golang.org/x/time/rate"
)

// The helpers below expect l.mu to be held.

// tooLarge reports whether tokens can never fit the configured TPM.
func (l *Limiter) tooLarge(tokens int64) bool {
	return l.cfg.TPM > 0 && tokens > l.cfg.TPM
}

// effective returns the window limits in force after 429s.
func (l *Limiter) effective() (rpm, tpm int64) {
	rpm = max(1, int64(math.Floor(float64(l.cfg.RPM)*l.scale)))
	if l.cfg.TPM > 0 {
		tpm = max(1, int64(math.Floor(float64(l.cfg.TPM)*l.scale)))
	}
	return rpm, tpm
}

// applyScale retunes the smoothing bucket to the effective RPM: refilled
// at the limit per minute, holding ten seconds' worth.
func (l *Limiter) applyScale(now time.Time) {
	rpm, _ := l.effective()
	l.reqRate.SetLimitAt(now, perSecond(rpm))
	l.reqRate.SetBurstAt(now, burstOf(rpm))
}

// perSecond turns a per-window limit into a bucket rate.
func perSecond(perWindow int64) rate.Limit {
	return rate.Limit(float64(perWindow) / Window.Seconds())
}

// burstOf sizes a bucket at ten seconds of the limit, at least one.
func burstOf(perWindow int64) int {
	return int(max(1, perWindow/6))
}

// roll prunes entries that left the window and starts a new day at
// Pacific midnight.
func (l *Limiter) roll(now time.Time) {
	l.log = prune(l.log, now)
	l.ok = prune(l.ok, now)
	if !now.Before(l.dayEnds) {
		l.day, l.dayEnds = 0, NextPacificMidnight(now)
	}
}

// prune drops the entries of a time-ordered log that no longer count.
func prune(log []grant, now time.Time) []grant {
	i := 0
	for i < len(log) && !log[i].at.Add(Window+Margin).After(now) {
		i++
	}
	return log[i:]
}

// hold returns the time before which no grant may happen.
func (l *Limiter) hold() time.Time {
	if l.penaltyUntil.After(l.pauseUntil) {
		return l.penaltyUntil
	}
	return l.pauseUntil
}

// plan snapshots the state for prediction.
func (l *Limiter) plan(now time.Time) *plan {
	l.roll(now)
	rpm, tpm := l.effective()
	return &plan{
		now:     now,
		log:     append([]grant(nil), l.log...),
		rpm:     rpm,
		tpm:     tpm,
		rpd:     l.cfg.RPD,
		day:     l.day,
		dayEnds: l.dayEnds,
		hold:    l.hold(),
		req:     snapshot(l.reqRate, now),
	}
}

// snapshot copies a rate.Limiter's state into a bucket.
func snapshot(r *rate.Limiter, now time.Time) bucket {
	return bucket{
		level:  r.TokensAt(now),
		at:     now,
		perSec: float64(r.Limit()),
		burst:  float64(r.Burst()),
	}
}

// grant records one request of tokens at now.
func (l *Limiter) grant(now time.Time, tokens int64) {
	l.log = append(l.log, grant{at: now, tokens: tokens})
	l.day++
	l.reqRate.AllowN(now, 1)
}

// leave removes w from the line and wakes the others.
func (l *Limiter) leave(w *waiter) {
	for i, x := range l.waiters {
		if x == w {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			break
		}
	}
	l.broadcast()
}

// broadcast wakes every waiter to look at the state again.
func (l *Limiter) broadcast() {
	close(l.changed)
	l.changed = make(chan struct{})
}
