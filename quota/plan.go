package quota

import (
	"math"
	"sort"
	"time"
)

// grant is one entry of the window log: when it was made and its tokens.
type grant struct {
	at     time.Time
	tokens int64
}

// bucket is a read-only copy of a token bucket, enough to predict it.
type bucket struct {
	level  float64   // tokens held at time at
	at     time.Time // when level was read
	perSec float64   // refill rate
	burst  float64   // capacity
}

// levelAt returns the bucket's level at t (t not before b.at).
func (b bucket) levelAt(t time.Time) float64 {
	return math.Min(b.burst, b.level+b.perSec*t.Sub(b.at).Seconds())
}

// readyAt returns when the bucket holds n tokens (capped at its burst),
// looking no earlier than t.
func (b bucket) readyAt(t time.Time, n float64) time.Time {
	n = math.Min(n, b.burst)
	have := b.levelAt(t)
	if have >= n || b.perSec <= 0 {
		return t
	}

	// Round up so the bucket really holds n when the caller looks again.
	ns := math.Ceil((n - have) / b.perSec * 1e9)
	return t.Add(time.Duration(ns) + time.Nanosecond)
}

// take removes n tokens (capped at the burst) at t.
func (b *bucket) take(t time.Time, n float64) {
	b.level = b.levelAt(t) - math.Min(n, b.burst)
	b.at = t
}

// plan is a snapshot of a limiter's state that can answer "when could the
// next grant happen" and be played forward, for Wait and for ETA alike.
type plan struct {
	now      time.Time
	log      []grant // oldest first
	rpm, tpm int64   // effective window limits; tpm 0 means none
	rpd, day int64   // daily limit (0 none) and requests counted today
	dayEnds  time.Time
	hold     time.Time // no grant before this (pauses)
	req      bucket    // request smoothing
}

// live returns the log entries still counting at t.
func (p *plan) live(t time.Time) []grant {
	span := Window + Margin
	i := sort.Search(len(p.log), func(i int) bool {
		return p.log[i].at.Add(span).After(t)
	})
	return p.log[i:]
}

// earliest returns the first time, not before p.now, at which one request
// of the given tokens fits every rule.
func (p *plan) earliest(tokens int64) time.Time {
	t := p.now
	if p.hold.After(t) {
		t = p.hold
	}

	// Each rule either passes at t or names a later time to look again;
	// the rules only ever push t forward, so this ends.
	for {
		next := p.blockedUntil(t, tokens)
		if !next.After(t) {
			return t
		}
		t = next
	}
}

// blockedUntil returns t if a request fits at t, else a later time at
// which the first rule that refuses it stops refusing.
func (p *plan) blockedUntil(t time.Time, tokens int64) time.Time {
	span := Window + Margin

	// The daily count starts over at Pacific midnight.
	if p.rpd > 0 && t.Before(p.dayEnds) && p.day >= p.rpd {
		return p.dayEnds
	}

	// Requests: the oldest entries must age out until one more fits.
	live := p.live(t)
	if over := int64(len(live)) + 1 - p.rpm; over > 0 {
		return live[over-1].at.Add(span)
	}

	// Tokens: the same, counting tokens. A request larger than the
	// effective limit (after a penalty) goes alone in the window.
	if p.tpm > 0 {
		limit := max(p.tpm, tokens)
		sum := int64(0)
		for _, g := range live {
			sum += g.tokens
		}
		for i := 0; sum+tokens > limit; i++ {
			sum -= live[i].tokens
			if sum+tokens <= limit {
				return live[i].at.Add(span)
			}
		}
	}

	// Smoothing: the request bucket must hold one.
	return p.req.readyAt(t, 1)
}

// apply records a grant at t, as the limiter would.
func (p *plan) apply(t time.Time, tokens int64) {
	if !t.Before(p.dayEnds) {
		p.day, p.dayEnds = 0, NextPacificMidnight(t)
	}
	p.day++
	p.log = append(p.live(t), grant{at: t, tokens: tokens})
	p.req.take(t, 1)
	p.now = t
}
