package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"atelier/db"
	"atelier/imagegen"
)

// callState is what one call remembers between its attempts.
type callState struct {
	attempts    int       // attempts that counted against Config.Attempts
	rateLimited time.Time // start of the current run of per-minute 429s
}

// runCall makes one upstream call of a job, retrying what is worth
// retrying, and records its outcome exactly once. It reports false when
// ctx ended before the call had an outcome: the call stays unsettled and
// the job resumes at the next start. An attempt already sent is always
// awaited, so its answer is stored and charged rather than lost.
func (r *Runner) runCall(ctx context.Context, g *group, m imagegen.Model, ru *run,
	call, n int, granted bool) bool {
	j := ru.job
	req := imagegen.Request{Model: m.ID, Prompt: j.Prompt, AspectRatio: j.AspectRatio,
		Size: j.Size, Seed: j.Seed, Count: n}
	tokens := m.Weight(j.Size) * int64(n)
	sent := context.WithoutCancel(ctx)
	var st callState

	for {
		// Every attempt takes a slot, then goes through the limiter; the
		// first was admitted by the dispatcher, in its slot.
		if !granted {
			if !g.acquire(ctx) {
				return false
			}
			if err := g.limiter.Wait(ctx, tokens); err != nil {
				g.release()
				return false
			}
		}
		granted = false
		r.setNote(ru, "", time.Time{})

		res, err, ok := r.attempt(sent, m, j.ID, call, req)
		g.release()
		if !ok {
			return false
		}
		if err == nil {
			g.limiter.Success(tokens)
			r.settle(sent, m, ru, call, res.aid, res.Result, n)
			return true
		}
		wait, retry := r.handleFailure(sent, g, m, ru, call, res.aid, err, &st)
		if !retry {
			return true
		}
		if !sleepCtx(ctx, wait) {
			return false
		}
	}
}

// attemptResult is a provider result with the attempt that produced it.
type attemptResult struct {
	imagegen.Result
	aid int64
}

// attempt records an attempt, then sends it. It reports ok false only
// when the attempt could not be recorded, so it was not sent.
func (r *Runner) attempt(sent context.Context, m imagegen.Model, jobID int64,
	call int, req imagegen.Request) (attemptResult, *imagegen.Error, bool) {
	aid, err := r.cfg.DB.BeginAttempt(sent, jobID, call)
	if err != nil {
		r.log.Error("record attempt", "job", jobID, "err", err)
		return attemptResult{}, nil, false
	}

	// The call itself is not cancelled by shutdown: once sent it may be
	// billed, so its answer is awaited (within CallTimeout) and stored.
	cctx, cancel := context.WithTimeout(sent, r.cfg.CallTimeout)
	start := time.Now()
	res, err := r.cfg.Providers[m.Protocol].Generate(cctx, req)
	cancel()
	r.observeCall(m, err, time.Since(start))
	out := attemptResult{Result: res, aid: aid}
	if err == nil {
		return out, nil, true
	}
	var ge *imagegen.Error
	if !errors.As(err, &ge) {
		ge = &imagegen.Error{Class: imagegen.ClassTransient, Reason: err.Error()}
	}
	return out, ge, true
}

// sleepCtx waits d, reporting false when ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *Runner) setNote(ru *run, note string, until time.Time) {
	r.mu.Lock()
	changed := ru.note != note || !ru.noteUntil.Equal(until)
	ru.note, ru.noteUntil = note, until
	r.mu.Unlock()
	if changed {
		r.notify()
	}
}

// ClassName names a failure class for logs and metrics.
func ClassName(c imagegen.Class) string {
	names := map[imagegen.Class]string{
		imagegen.ClassTransient: "transient", imagegen.ClassRateLimited: "rate_limited",
		imagegen.ClassDailyQuota: "daily_quota", imagegen.ClassBillingStop: "billing_stop",
		imagegen.ClassOverload: "overload", imagegen.ClassBlocked: "blocked",
		imagegen.ClassNoImage: "no_image", imagegen.ClassBadRequest: "bad_request",
	}
	if n, ok := names[c]; ok {
		return n
	}
	return "unknown"
}

// observeCall and observeCharge feed the metrics; see metrics.go.
func (r *Runner) observeCall(m imagegen.Model, err error, d time.Duration) {
	if r.cfg.Metrics != nil {
		r.cfg.Metrics.ObserveCall(m.ID, m.Group, err, d)
	}
}

func (r *Runner) observeCharge(m imagegen.Model, c db.Charge) {
	if r.cfg.Metrics != nil {
		r.cfg.Metrics.ObserveCharge(m.ID, c.Tokens, c.Micros)
	}
}

// retryReason is the member's reason for a call that kept failing.
func retryReason(e *imagegen.Error, attempts int) string {
	if e.Class == imagegen.ClassOverload {
		return fmt.Sprintf("the provider is overloaded; gave up after %d tries "+
			"(%d %s)", attempts, e.Status, e.Code)
	}
	return fmt.Sprintf("the provider kept failing; gave up after %d tries: %s",
		attempts, e.Reason)
}
