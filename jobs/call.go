package jobs

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"atelier/db"
	"atelier/imagegen"
	"atelier/quota"
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
	call, n int, aid int64) bool {
	j := ru.job
	req := imagegen.Request{Model: m.ID, Prompt: j.Prompt, AspectRatio: j.AspectRatio,
		Size: j.Size, Seed: j.Seed, Count: n}
	tokens := m.Weight(j.Size) * int64(n)
	sent := context.WithoutCancel(ctx)
	var st callState

	for {
		// Every attempt is admitted (slot, record, limiter) before it
		// leaves; the first was admitted by the dispatcher.
		if aid == 0 {
			var err error
			aid, err = r.admit(ctx, g, j.ID, call, tokens)
			if errors.Is(err, quota.ErrTooLarge) {
				r.refund(sent, ru, call, aid, "the job is now larger than the "+
					"provider's per-minute limit allows")
				return true
			}
			if err != nil {
				return false
			}
		}
		r.setNote(ru, "", time.Time{})

		res, err := r.send(sent, m, req)
		g.release()
		if err == nil {
			g.limiter.Success(tokens)
			r.settle(sent, m, ru, call, aid, res, n)
			return true
		}
		wait, retry := r.handleFailure(sent, g, m, ru, call, aid, err, &st)
		if !retry {
			return true
		}
		if r.cfg.Metrics != nil {
			r.cfg.Metrics.ObserveRetry(m.ID, ClassName(err.Class))
		}
		aid = 0
		if !sleepCtx(ctx, wait) {
			return false
		}
	}
}

// send makes one recorded attempt. The call is not cancelled by
// shutdown: once sent it may be billed, so its answer is awaited (within
// CallTimeout) and stored.
func (r *Runner) send(sent context.Context, m imagegen.Model,
	req imagegen.Request) (imagegen.Result, *imagegen.Error) {
	cctx, cancel := context.WithTimeout(sent, r.cfg.CallTimeout)
	start := time.Now()
	res, err := r.generate(cctx, m, req)
	cancel()
	r.observeCall(m, err, time.Since(start))
	if err == nil {
		return res, nil
	}
	var ge *imagegen.Error
	if !errors.As(err, &ge) {
		ge = &imagegen.Error{Class: imagegen.ClassTransient, Reason: err.Error()}
	}
	return res, ge
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

// generate calls the provider. A panic inside it (a provider or SDK bug
// meeting an answer nobody foresaw) fails the attempt like any other
// error, logged with its stack, instead of ending the whole server.
func (r *Runner) generate(ctx context.Context, m imagegen.Model, req imagegen.Request) (
	res imagegen.Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			r.log.Error("provider panicked", "model", m.ID, "panic", fmt.Sprint(v),
				"stack", string(debug.Stack()))
			err = &imagegen.Error{Class: imagegen.ClassTransient,
				Reason: "the provider's answer could not be read"}
		}
	}()
	return r.cfg.Providers[m.Protocol].Generate(ctx, req)
}
