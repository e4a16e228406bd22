package quota

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// simUpstream stands in for the provider in the simulation: a strict
// 60-second sliding window of accepted requests and tokens (a request
// accepted at t counts while now-t <= 60s), answering 429 past it with the
// exact time until room opens. Refused requests do not count, which is
// kind to the naive client.
type simUpstream struct {
	mu       sync.Mutex
	start    time.Time
	limits   Limits        // the real quota at first
	halveAt  time.Duration // when the real quota silently halves; 0 never
	log      []grant
	rejected int
	rng      *rand.Rand
}

// limitsAt returns the real quota at t.
func (u *simUpstream) limitsAt(t time.Time) Limits {
	l := u.limits
	if u.halveAt > 0 && t.Sub(u.start) >= u.halveAt {
		l.RPM, l.TPM = l.RPM/2, l.TPM/2
	}
	return l
}

// admit decides on a request arriving now.
func (u *simUpstream) admit(tokens int64) (bool, time.Duration) {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := time.Now()
	for len(u.log) > 0 && now.Sub(u.log[0].at) > Window {
		u.log = u.log[1:]
	}
	lim := u.limitsAt(now)
	n, sum := int64(len(u.log)), int64(0)
	for _, g := range u.log {
		sum += g.tokens
	}
	if n+1 <= lim.RPM && sum+tokens <= lim.TPM {
		u.log = append(u.log, grant{at: now, tokens: tokens})
		return true, 0
	}

	// Room opens once enough of the oldest entries have aged out.
	u.rejected++
	for _, g := range u.log {
		n, sum = n-1, sum-g.tokens
		if n+1 <= lim.RPM && sum+tokens <= lim.TPM {
			return false, g.at.Add(Window).Sub(now) + time.Millisecond
		}
	}
	return false, Window
}

// between draws a duration uniformly from [lo, hi].
func (u *simUpstream) between(lo, hi time.Duration) time.Duration {
	u.mu.Lock()
	defer u.mu.Unlock()
	return lo + time.Duration(u.rng.Int64N(int64(hi-lo)+1))
}

// send is one call: network delay to the provider, its decision, and the
// answer's latency (2–6 s for an image, a fraction of a second for a 429).
// arrived is when the provider counted it.
func (u *simUpstream) send(ctx context.Context, tokens int64) (
	ok bool, retryAfter time.Duration, arrived time.Time, err error) {

	if err := sleepCtx(ctx, u.between(20*time.Millisecond,
		200*time.Millisecond)); err != nil {
		return false, 0, time.Time{}, err
	}
	arrived = time.Now()
	ok, retryAfter = u.admit(tokens)
	lat := u.between(100*time.Millisecond, 500*time.Millisecond)
	if ok {
		lat = u.between(2*time.Second, 6*time.Second)
	}
	return ok, retryAfter, arrived, sleepCtx(ctx, lat)
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
