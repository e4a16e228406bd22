package quota

import (
	"math/rand/v2"
	"time"
)

// Backoff is a retry policy: exponential back-off with full jitter,
// capped, within an attempt budget.
type Backoff struct {
	Base     time.Duration // ceiling of the first delay
	Cap      time.Duration // ceiling of any delay
	Attempts int           // attempts allowed in all, for Retry

	// Rand draws the jitter; nil uses the global generator. A *rand.Rand
	// is not safe for concurrent use: share one only under a lock.
	Rand *rand.Rand
}

// DefaultBackoff starts around a second and never waits more than a
// minute, the length of the provider's window.
var DefaultBackoff = Backoff{Base: time.Second, Cap: time.Minute, Attempts: 5}

// Delay returns how long to wait before retry number attempt (0-based).
// A retryAfter from the provider is honoured as given; otherwise the delay
// is drawn uniformly from [0, min(Cap, Base×2^attempt)], which spreads
// clients that failed together ("full jitter").
func (b Backoff) Delay(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	ceil := b.ceiling(attempt)
	if ceil <= 0 {
		return 0
	}
	if b.Rand != nil {
		return time.Duration(b.Rand.Int64N(int64(ceil) + 1))
	}
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

// ceiling returns min(Cap, Base×2^attempt) without overflowing.
func (b Backoff) ceiling(attempt int) time.Duration {
	d := b.Base
	if d <= 0 {
		return 0
	}
	for i := 0; i < attempt && d < b.Cap; i++ {
		d *= 2
	}
	if b.Cap > 0 && d > b.Cap {
		d = b.Cap
	}
	return d
}

// Retry reports whether another attempt fits the budget after attempt
// attempts were made.
func (b Backoff) Retry(attempts int) bool {
	return attempts < b.Attempts
}
