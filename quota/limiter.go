package quota

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Gate is what the dispatcher needs from a limiter. Limiter implements it
// in memory; a limiter shared by several replicas would implement it over
// a central store.
type Gate interface {
	Wait(ctx context.Context, tokens int64) error
	Penalize(retryAfter time.Duration)
	Success(tokens int64)
	ETA(aheadRequests, aheadTokens int64) time.Duration
}

// Limiter is the shared limiter of one model limit group. It is safe for
// concurrent use. Waiters are served first come, first served, so a large
// request is never starved by a stream of small ones.
type Limiter struct {
	mu  sync.Mutex
	cfg Limits // configured limits

	// scale is the share of cfg in force after 429s, in (0, 1].
	scale   float64
	lastCut time.Time // when scale last dropped
	strikes int       // 429s since the last success, for back-off

	log []grant // our grants still in the window, oldest first
	ok  []grant // calls the provider accepted, still in the window

	day     int64     // requests granted this Pacific day
	dayEnds time.Time // next Pacific midnight

	pauseUntil   time.Time // PauseUntil: daily quota, billing stop
	pauseReason  string
	penaltyUntil time.Time // Penalize: the provider's retry delay

	reqRate *rate.Limiter // smoothing of requests
	backoff Backoff

	waiters []*waiter     // FIFO; only the head may be granted
	changed chan struct{} // closed and replaced on every change
}

// waiter is one blocked Wait call.
type waiter struct {
	tokens int64
}

// NewLimiter returns a limiter enforcing l (see Limits for zero values).
func NewLimiter(l Limits) *Limiter {
	now := time.Now()
	lim := &Limiter{
		cfg:     l.normalized(),
		scale:   1,
		dayEnds: NextPacificMidnight(now),
		backoff: DefaultBackoff,
		changed: make(chan struct{}),
	}

	// The bucket starts full, as after an idle spell.
	rpm, _ := lim.effective()
	lim.reqRate = rate.NewLimiter(perSecond(rpm), burstOf(rpm))
	return lim
}

// SetBackoff sets the back-off used by Penalize when the provider gives no
// retry delay.
func (l *Limiter) SetBackoff(b Backoff) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.backoff = b
}

// Limits returns the configured limits.
func (l *Limiter) Limits() Limits {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cfg
}

// SetLimits applies new limits at once. Waiters are woken: a lower limit
// makes them wait longer, a higher one lets them go sooner. Any reduction
// learned from 429s is forgotten, since the new limits are fresh facts.
func (l *Limiter) SetLimits(n Limits) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cfg = n.normalized()
	l.scale = 1
	l.applyScale(time.Now())
	l.broadcast()
}

// Wait blocks until one request carrying tokens may be sent, and records
// it. It returns ErrTooLarge at once when tokens exceed the configured
// TPM, and ctx.Err() when ctx ends first; then nothing is consumed.
func (l *Limiter) Wait(ctx context.Context, tokens int64) error {
	tokens = max(tokens, 0)
	w := &waiter{tokens: tokens}
	l.mu.Lock()
	if l.tooLarge(tokens) {
		l.mu.Unlock()
		return ErrTooLarge
	}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()

	for {
		at, ch, err := l.tryGrant(ctx, w)
		if err != nil || at.IsZero() && ch == nil {
			return err
		}
		if err := sleepUntil(ctx, at, ch); err != nil {
			l.mu.Lock()
			l.leave(w)
			l.mu.Unlock()
			return err
		}
	}
}

// tryGrant grants w if it is first in line and fits now. Otherwise it
// returns when to look again (zero: only on a change) and the change
// channel to watch. A zero time with a nil channel means done.
func (l *Limiter) tryGrant(ctx context.Context, w *waiter) (
	time.Time, <-chan struct{}, error) {

	l.mu.Lock()
	defer l.mu.Unlock()

	// A cancelled caller or a request that no longer fits leaves the line.
	if err := ctx.Err(); err != nil {
		l.leave(w)
		return time.Time{}, nil, err
	}
	if l.tooLarge(w.tokens) {
		l.leave(w)
		return time.Time{}, nil, ErrTooLarge
	}
	if l.waiters[0] != w {
		return time.Time{}, l.changed, nil
	}

	// First in line: grant now or learn how long the rules say to wait.
	now := time.Now()
	at := l.plan(now).earliest(w.tokens)
	if at.After(now) {
		return at, l.changed, nil
	}
	l.grant(now, w.tokens)
	l.leave(w)
	return time.Time{}, nil, nil
}

// Allow grants one request of tokens if it fits right now and nobody is
// waiting; it never blocks.
func (l *Limiter) Allow(tokens int64) (bool, error) {
	tokens = max(tokens, 0)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tooLarge(tokens) {
		return false, ErrTooLarge
	}
	now := time.Now()
	if len(l.waiters) > 0 || l.plan(now).earliest(tokens).After(now) {
		return false, nil
	}
	l.grant(now, tokens)
	return true, nil
}

// sleepUntil waits until at (never if zero), a change, or ctx's end.
func sleepUntil(ctx context.Context, at time.Time, ch <-chan struct{}) error {
	var fire <-chan time.Time
	if !at.IsZero() {
		t := time.NewTimer(time.Until(at))
		defer t.Stop()
		fire = t.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-ch:
	case <-fire:
	}
	return nil
}
