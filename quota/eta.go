package quota

import "time"

// Available returns how many requests and tokens could be granted right
// now under the limits in force; tokens is Unlimited without a TPM. Both
// are 0 while grants are paused.
func (l *Limiter) Available() (requests, tokens int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.roll(now)
	rpm, tpm := l.effective()

	// Nothing goes while paused.
	if l.hold().After(now) && tpm == 0 {
		return 0, Unlimited
	}
	if l.hold().After(now) {
		return 0, 0
	}
	requests = max(0, rpm-int64(len(l.log)))
	if l.cfg.RPD > 0 {
		requests = min(requests, max(0, l.cfg.RPD-l.day))
	}
	if tpm == 0 {
		return requests, Unlimited
	}
	used := int64(0)
	for _, g := range l.log {
		used += g.tokens
	}
	return requests, max(0, tpm-used)
}

// Waiting returns how many Wait calls are blocked.
func (l *Limiter) Waiting() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.waiters)
}

// ETA returns how long until a one-token job would be granted with
// aheadRequests requests carrying aheadTokens tokens before it. Calls
// already blocked in Wait count as ahead too.
func (l *Limiter) ETA(aheadRequests, aheadTokens int64) time.Duration {
	return l.ETAJob(aheadRequests, aheadTokens, 1)
}

// ETAJob is ETA for a job of the given tokens. The work ahead is assumed
// to be spread evenly over its requests. The answer is exact for the
// limiter's current state and rules; later 429s or limit changes move it.
func (l *Limiter) ETAJob(aheadRequests, aheadTokens, tokens int64) time.Duration {
	l.mu.Lock()
	now := time.Now()
	p := l.plan(now)
	waiting := make([]int64, len(l.waiters))
	for i, w := range l.waiters {
		waiting[i] = w.tokens
	}
	l.mu.Unlock()

	// Play the waiters, then the work ahead, forward on the snapshot.
	for _, t := range waiting {
		p.apply(p.earliest(t), t)
	}
	for i := int64(0); i < aheadRequests; i++ {
		t := share(aheadTokens, aheadRequests, i)
		p.apply(p.earliest(t), t)
	}
	return p.earliest(tokens).Sub(now)
}

// share splits total over n parts as evenly as integers allow; part i.
func share(total, n, i int64) int64 {
	s := total / n
	if i < total%n {
		s++
	}
	return s
}
