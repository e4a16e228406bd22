package jobs

import (
	"fmt"
	"time"

	"atelier/quota"
)

// hold is a pause that also refuses new jobs up front: the provider said
// the group is done for the day, or stopped billing. A per-minute 429 is
// not a hold; it pauses the limiter for seconds and jobs simply queue.
type hold struct {
	until  time.Time
	reason string
}

// limiterHoldAfter is how long a pause of the limiter's own (its daily
// request count, configured by an admin) must still run before new jobs
// are refused rather than queued.
const limiterHoldAfter = time.Hour

// holdGroup pauses g until until and refuses new jobs for it meanwhile.
func (r *Runner) holdGroup(g *group, until time.Time, reason string) {
	g.limiter.PauseUntil(until, reason)
	r.mu.Lock()
	if h := r.holds[g.name]; h.until.Before(until) {
		r.holds[g.name] = hold{until: until, reason: reason}
	}
	r.mu.Unlock()
	r.log.Warn("model group paused", "group", g.name, "until", until, "reason", reason)
	r.notify()
}

// holdUpstream pauses every group a remote provider serves: a billing
// stop is the team's account, not one model's quota.
func (r *Runner) holdUpstream(until time.Time, reason string) {
	for _, g := range r.groups {
		if g.upstream {
			r.holdGroup(g, until, reason)
		}
	}
}

// held returns the hold in force on g, if any.
func (r *Runner) held(g *group) (hold, bool) {
	r.mu.Lock()
	h, ok := r.holds[g.name]
	r.mu.Unlock()
	if ok && h.until.After(time.Now()) {
		return h, true
	}
	if until, reason, paused := g.limiter.Paused(); paused &&
		time.Until(until) > limiterHoldAfter {
		return hold{until: until, reason: reason}, true
	}
	return hold{}, false
}

// waitNote is what a member reads while g's limiter holds their job.
func waitNote(g *group, h hold, held bool) string {
	if held {
		return fmt.Sprintf("paused: %s; until %s", h.reason,
			h.until.In(quotaZone()).Format("Jan 2 15:04 MST"))
	}
	if until, _, paused := g.limiter.Paused(); paused {
		return "waiting for the provider's quota, " + about(time.Until(until))
	}
	return ""
}

// quotaZone is where reset times are shown: the server's local zone.
func quotaZone() *time.Location { return time.Local }

// about renders a wait in plain words: "about 35 s", "about 4 min".
func about(d time.Duration) string {
	switch {
	case d < 1500*time.Millisecond:
		return "about 1 s"
	case d < 90*time.Second:
		return fmt.Sprintf("about %d s", int(d.Round(time.Second)/time.Second))
	case d < 90*time.Minute:
		return fmt.Sprintf("about %d min", int(d.Round(time.Minute)/time.Minute))
	}
	return fmt.Sprintf("about %d h", int(d.Round(time.Hour)/time.Hour))
}

// dailyReset is when a per-day quota met at now resets.
func dailyReset(now time.Time) time.Time { return quota.NextPacificMidnight(now) }
