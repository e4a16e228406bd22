package jobs

import (
	"context"
	"time"

	"atelier/imagegen"
)

// handleFailure applies the effect of a failure class (the table is in
// imagegen's classify.go; the job-level effects are below) and returns
// whether to try the call again and after how long.
//
//	rate limited  limiter paused for the asked delay and slowed; the call
//	              waits its turn again, not counted as an attempt, for
//	              at most RateLimitPatience; then refunded and failed.
//	daily quota   group paused until midnight Pacific, new jobs for it
//	              refused up front; the call is refunded and fails.
//	billing stop  every remote group paused for BillingPause, new jobs
//	              refused up front; the call is refunded and fails.
//	overload,     retried with capped, jittered back-off within
//	transient     Config.Attempts; then refunded and failed.
//	blocked,      not retried; charged the tokens the provider reported
//	no image      (Gemini bills them), else refunded.
//	bad request   not retried; refunded.
func (r *Runner) handleFailure(ctx context.Context, g *group, m imagegen.Model, ru *run,
	call int, aid int64, e *imagegen.Error, st *callState) (time.Duration, bool) {
	j := ru.job
	r.cfg.DB.EndAttempt(ctx, aid, ClassName(e.Class), e.Reason)
	r.log.Warn("upstream call failed", "job", j.ID, "call", call,
		"class", ClassName(e.Class), "status", e.Status, "reason", e.Reason)

	switch e.Class {
	case imagegen.ClassRateLimited:
		return r.rateLimited(ctx, g, ru, call, aid, e, st)
	case imagegen.ClassDailyQuota:
		until := dailyReset(time.Now())
		r.holdGroup(g, until, "the provider's daily quota for this model is used up")
	case imagegen.ClassBillingStop:
		r.holdUpstream(time.Now().Add(r.cfg.BillingPause),
			"the provider stopped serving the team's key for billing; "+
				"an admin must top up the account")
	case imagegen.ClassOverload, imagegen.ClassTransient:
		st.attempts++
		if st.attempts < r.cfg.Attempts {
			d := r.cfg.Backoff.Delay(st.attempts-1, e.RetryAfter)
			r.setNote(ru, "the provider is busy; trying again in %s", time.Now().Add(d))
			return d, true
		}
		r.refund(ctx, ru, call, aid, retryReason(e, st.attempts))
		return 0, false
	case imagegen.ClassBlocked, imagegen.ClassNoImage:
		// Google bills the tokens of a blocked or imageless answer.
		if e.Usage.Reported {
			r.charge(ctx, m, ru, call, aid, nil, e.Usage, 0, e.Reason)
			return 0, false
		}
	}
	r.refund(ctx, ru, call, aid, e.Reason)
	return 0, false
}

// rateLimited handles a per-minute 429: the limiter pauses for the delay
// the provider asked (its own back-off when none) and lowers its rate,
// and the call waits its turn again.
func (r *Runner) rateLimited(ctx context.Context, g *group, ru *run, call int,
	aid int64, e *imagegen.Error, st *callState) (time.Duration, bool) {
	now := time.Now()
	if st.rateLimited.IsZero() {
		st.rateLimited = now
	}
	if now.Sub(st.rateLimited) > r.cfg.RateLimitPatience {
		r.refund(ctx, ru, call, aid, "the provider kept refusing for quota for "+
			about(now.Sub(st.rateLimited))+"; try again later")
		return 0, false
	}
	g.limiter.Penalize(e.RetryAfter)
	until, _, paused := g.limiter.Paused()
	if !paused {
		until = now
	}
	r.setNote(ru, "waiting for the provider's quota, %s", until)
	return 0, true
}
