package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"atelier/db"
	"atelier/imagegen"
	"atelier/quota"
)

// callTimeout bounds one upstream call, so a hung connection cannot hold a
// slot forever.
const callTimeout = 3 * time.Minute

// run is a job whose calls are being made.
type run struct {
	job  db.Job
	wg   sync.WaitGroup
	done int    // calls ended
	note string // what the member should know right now

	mu      sync.Mutex
	images  int
	reasons []string
}

// dispatch serves one group's queue: it takes the next job in fair order,
// waits on the limiter for each of its calls, and starts each call.
func (r *Runner) dispatch(ctx context.Context, g *group) {
	for {
		item, err := g.queue.Next(ctx)
		if err != nil {
			return // ctx ended: queued jobs stay queued for the next start
		}
		if err := r.startJob(ctx, g, item); err != nil {
			if ctx.Err() != nil {
				return
			}
			r.log.Error("start job", "job", item.JobID, "err", err)
		}
	}
}

// startJob marks the job running and sends its unsettled calls one after
// another through the limiter.
func (r *Runner) startJob(ctx context.Context, g *group, item quota.Item) error {
	j, err := r.cfg.DB.Job(ctx, item.JobID)
	if err != nil {
		return err
	}
	switch j.Status {
	case db.StatusQueued:
		if err := r.cfg.DB.StartJob(ctx, j.ID); err != nil {
			if errors.Is(err, db.ErrNotQueued) {
				return nil // cancelled meanwhile
			}
			return err
		}
		r.log.Info("job started", "job", j.ID, "member", j.MemberID, "model", j.Model)
	case db.StatusRunning:
		// Resumed after a restart: its settled calls are skipped below.
	default:
		return nil
	}

	m, _ := r.cfg.Catalog.Lookup(j.Model)
	ru := &run{job: j}
	r.mu.Lock()
	r.running[j.ID] = ru
	r.mu.Unlock()
	r.notify()

	for call := 0; call < j.Calls; call++ {
		settled, err := r.cfg.DB.CallSettled(ctx, j.ID, call)
		if err != nil {
			return err
		}
		if settled {
			r.mu.Lock()
			ru.done++
			r.mu.Unlock()
			continue
		}

		n := callImages(m, j, call)
		if err := g.limiter.Wait(ctx, m.Weight(j.Size)*int64(n)); err != nil {
			// Shutting down before this call left: the job resumes later.
			go r.finishWhenDone(context.WithoutCancel(ctx), ru, true)
			return err
		}
		r.sem <- struct{}{}
		ru.wg.Add(1)
		go func() {
			defer func() { <-r.sem }()
			defer ru.wg.Done()
			r.runCall(context.WithoutCancel(ctx), g, m, ru, call, n)
		}()
	}
	go r.finishWhenDone(context.WithoutCancel(ctx), ru, false)
	return nil
}

// callImages is how many images call number call of j asks for.
func callImages(m imagegen.Model, j db.Job, call int) int {
	per := max(m.MaxImagesPerCall, 1)
	return min(per, j.Count-call*per)
}

// finishWhenDone waits for a job's calls and ends it. A job interrupted by
// shutdown stays running in the database and is resumed at the next start.
func (r *Runner) finishWhenDone(ctx context.Context, ru *run, interrupted bool) {
	ru.wg.Wait()
	r.mu.Lock()
	delete(r.running, ru.job.ID)
	r.mu.Unlock()
	defer r.notify()
	if interrupted {
		return
	}

	status, reason := db.StatusDone, ""
	if ru.images == 0 {
		status, reason = db.StatusFailed, firstOr(ru.reasons, "no image came back")
	} else if ru.images < ru.job.Count {
		reason = fmt.Sprintf("%d of %d images: %s", ru.images, ru.job.Count,
			firstOr(ru.reasons, "some were withheld"))
	}
	if err := r.cfg.DB.FinishJob(ctx, ru.job.ID, status, reason); err != nil {
		r.log.Error("finish job", "job", ru.job.ID, "err", err)
		return
	}
	r.log.Info("job "+status, "job", ru.job.ID, "member", ru.job.MemberID,
		"images", ru.images, "reason", reason)
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

// runCall makes one upstream call of a job, retrying what is worth
// retrying, and records its outcome exactly once.
func (r *Runner) runCall(ctx context.Context, g *group, m imagegen.Model, ru *run, call, n int) {
	j := ru.job
	req := imagegen.Request{Model: m.ID, Prompt: j.Prompt, AspectRatio: j.AspectRatio,
		Size: j.Size, Seed: j.Seed, Count: n}
	prov := r.cfg.Providers[m.Protocol]

	for attempt := 0; ; attempt++ {
		aid, err := r.cfg.DB.BeginAttempt(ctx, j.ID, call)
		if err != nil {
			r.log.Error("record attempt", "job", j.ID, "err", err)
			return
		}

		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		start := time.Now()
		res, err := prov.Generate(cctx, req)
		cancel()
		r.observeCall(m, err, time.Since(start))

		if err == nil {
			g.limiter.Success(m.Weight(j.Size) * int64(n))
			r.settle(ctx, m, ru, call, aid, res, n)
			return
		}

		var ge *imagegen.Error
		if !errors.As(err, &ge) {
			ge = &imagegen.Error{Class: imagegen.ClassTransient, Reason: err.Error()}
		}
		retry := r.handleFailure(ctx, g, m, ru, call, aid, ge, attempt)
		if !retry {
			return
		}
		if err := g.limiter.Wait(ctx, m.Weight(j.Size)*int64(n)); err != nil {
			return
		}
		r.setNote(ru, "")
	}
}

// handleFailure applies the effect of a failure class (see imagegen.Class)
// and reports whether the call should be tried again.
func (r *Runner) handleFailure(ctx context.Context, g *group, m imagegen.Model, ru *run,
	call int, aid int64, e *imagegen.Error, attempt int) bool {
	j := ru.job
	r.cfg.DB.EndAttempt(ctx, aid, ClassName(e.Class), e.Reason)
	r.log.Warn("upstream call failed", "job", j.ID, "call", call, "attempt", attempt+1,
		"class", ClassName(e.Class), "status", e.Status, "reason", e.Reason)

	switch e.Class {
	case imagegen.ClassRateLimited:
		// The limiter pauses for the asked delay and slows down; the call
		// waits on it again. Rate limits do not use the attempt budget,
		// but a runaway loop is cut off all the same.
		g.limiter.Penalize(e.RetryAfter)
		r.setNote(ru, fmt.Sprintf("waiting for the provider's quota, about %s",
			roundDur(max(e.RetryAfter, time.Second))))
		if attempt < 50 {
			return true
		}
	case imagegen.ClassDailyQuota:
		until := quota.NextPacificMidnight(time.Now())
		g.limiter.PauseUntil(until, "the provider's daily quota for this model is spent")
	case imagegen.ClassBillingStop:
		until := time.Now().Add(time.Hour)
		for _, og := range r.groups {
			og.limiter.PauseUntil(until, "the provider stopped billing (credits depleted); "+
				"an admin must top up the account")
		}
	case imagegen.ClassOverload, imagegen.ClassTransient:
		if attempt+1 < r.cfg.Attempts {
			d := r.cfg.Backoff.Delay(attempt, e.RetryAfter)
			r.setNote(ru, fmt.Sprintf("the provider is busy; trying again in %s", roundDur(d)))
			time.Sleep(d)
			return true
		}
	case imagegen.ClassBlocked, imagegen.ClassNoImage:
		// Google bills the tokens of a blocked or imageless answer.
		if e.Usage.Reported {
			r.charge(ctx, m, ru, call, aid, nil, e.Usage, 0, e.Reason)
			return false
		}
	}
	r.refund(ctx, ru, call, aid, failReason(e))
	return false
}

// failReason is what the member reads for a call that ended with e.
func failReason(e *imagegen.Error) string {
	switch e.Class {
	case imagegen.ClassOverload:
		return "the provider is overloaded; try again later (" + e.Reason + ")"
	case imagegen.ClassTransient:
		return "the provider failed: " + e.Reason
	}
	return e.Reason
}

func (r *Runner) setNote(ru *run, note string) {
	r.mu.Lock()
	ru.note = note
	r.mu.Unlock()
	r.notify()
}

// settle stores a successful call's images and charges it.
func (r *Runner) settle(ctx context.Context, m imagegen.Model, ru *run, call int, aid int64,
	res imagegen.Result, n int) {
	imgs := make([]db.NewImage, 0, len(res.Images))
	for _, im := range res.Images {
		ni, err := prepare(im, res.RewrittenPrompt)
		if err != nil {
			r.log.Error("unreadable image from provider", "job", ru.job.ID, "err", err)
			continue
		}
		imgs = append(imgs, ni)
	}
	reason := ""
	if len(res.Filtered) > 0 {
		reason = "withheld by the provider's safety filter (" + res.Filtered[0] + ")"
	}
	if len(imgs) < n && reason == "" {
		reason = fmt.Sprintf("the provider returned %d of %d images", len(imgs), n)
	}
	r.charge(ctx, m, ru, call, aid, imgs, res.Usage, len(imgs), reason)
}

// charge records a call's outcome: its images, and what the provider
// billed (the estimate when it reported no usage).
func (r *Runner) charge(ctx context.Context, m imagegen.Model, ru *run, call int, aid int64,
	imgs []db.NewImage, u imagegen.Usage, images int, reason string) {
	j := ru.job
	c := db.Charge{Tokens: m.Weight(j.Size) * int64(images), PromptTokens: u.PromptTokens,
		ImageTokens: u.ImageTokens, TextTokens: u.TextTokens, ThoughtTokens: u.ThoughtTokens}
	switch {
	case !m.TokenPriced():
		c.Micros = m.Cost(u, images)
	case u.Reported:
		c.Micros = m.Cost(u, images)
	default:
		// Missing usage is charged at the estimate, never as free.
		_, c.Micros = m.Estimate(j.Size, max(images, 1))
		c.Estimated = true
	}

	err := r.cfg.DB.SettleCall(ctx, j, call, aid, imgs, c)
	if err != nil && !errors.Is(err, db.ErrSettled) {
		r.log.Error("settle call", "job", j.ID, "call", call, "err", err)
	}
	r.record(ru, len(imgs), reason)
	r.observeCharge(m, c)
}

// refund returns a call's share of the reservation.
func (r *Runner) refund(ctx context.Context, ru *run, call int, aid int64, reason string) {
	err := r.cfg.DB.SettleCall(ctx, ru.job, call, aid, nil, db.Charge{})
	if err != nil && !errors.Is(err, db.ErrSettled) {
		r.log.Error("refund call", "job", ru.job.ID, "call", call, "err", err)
	}
	r.record(ru, 0, reason)
}

func (r *Runner) record(ru *run, images int, reason string) {
	r.mu.Lock()
	ru.done++
	ru.note = ""
	r.mu.Unlock()
	ru.mu.Lock()
	ru.images += images
	if reason != "" {
		ru.reasons = append(ru.reasons, reason)
	}
	ru.mu.Unlock()
	r.notify()
}

// prepare hashes an image and makes its thumbnail.
func prepare(im imagegen.Image, rewritten string) (db.NewImage, error) {
	mime := imagegen.DetectMIME(im.Data)
	if mime == "" {
		return db.NewImage{}, errors.New("not an image")
	}
	w, h, err := imagegen.Dimensions(im.Data)
	if err != nil {
		return db.NewImage{}, err
	}
	thumb, err := imagegen.Thumbnail(im.Data, 384)
	if err != nil {
		return db.NewImage{}, err
	}
	sum := sha256.Sum256(im.Data)
	return db.NewImage{MIME: mime, Width: w, Height: h, SHA256: hex.EncodeToString(sum[:]),
		Data: im.Data, Thumb: thumb, RewrittenPrompt: rewritten}, nil
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
