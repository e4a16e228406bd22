package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"atelier/db"
	"atelier/imagegen"
	"atelier/quota"
)

// run is a job whose calls are being made. Its note fields are guarded by
// the Runner's mu, its tallies by its own.
type run struct {
	job db.Job
	wg  sync.WaitGroup

	done      int       // calls ended
	note      string    // what the member should know; %s takes noteUntil
	noteUntil time.Time // when what the note waits for should end

	mu          sync.Mutex
	images      int
	reasons     []string
	interrupted bool // a call stopped for shutdown: the job resumes later

	// waiting is the tokens of the call waiting on the limiter to leave,
	// 0 when none is; guarded by the Runner's mu.
	waiting int64
}

// noteNow renders the note with the time left; the Runner's mu is held.
func (ru *run) noteNow() string {
	if ru.noteUntil.IsZero() {
		return ru.note
	}
	return fmt.Sprintf(ru.note, about(time.Until(ru.noteUntil)))
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
		// Resumed after a restart: its settled calls are skipped below,
		// and the images they stored count towards the job.
	default:
		return nil
	}

	m, _ := r.cfg.Catalog.Lookup(j.Model)
	ru := &run{job: j, images: len(j.Images)}
	r.mu.Lock()
	r.running[j.ID] = ru
	r.mu.Unlock()
	r.notify()

	err = r.sendCalls(ctx, g, m, ru)
	r.ends.Add(1)
	go func() {
		defer r.ends.Done()
		r.finishWhenDone(context.WithoutCancel(ctx), ru)
	}()
	return err
}

// sendCalls waits on the limiter for each unsettled call of ru's job and
// starts it. When ctx ends first, the job is marked interrupted.
func (r *Runner) sendCalls(ctx context.Context, g *group, m imagegen.Model,
	ru *run) error {
	j := ru.job
	for call := 0; call < j.Calls; call++ {
		settled, err := r.cfg.DB.CallSettled(ctx, j.ID, call)
		if err != nil {
			ru.interrupt()
			return err
		}
		if settled {
			r.mu.Lock()
			ru.done++
			r.mu.Unlock()
			continue
		}

		n := callImages(m, j, call)
		tokens := m.Weight(j.Size) * int64(n)
		r.setWaiting(ru, tokens)
		aid, err := r.admit(ctx, g, j.ID, call, tokens)
		r.setWaiting(ru, 0)
		if errors.Is(err, quota.ErrTooLarge) {
			// The limits were lowered below this call since it queued.
			r.refund(context.WithoutCancel(ctx), ru, call, aid,
				"the job is now larger than the provider's per-minute limit allows")
			continue
		}
		if err != nil {
			// Shutting down before this call left: the job resumes later.
			ru.interrupt()
			return err
		}
		r.goCall(ctx, g, m, ru, call, n, aid)
	}
	return nil
}

// admit readies one attempt of a call: it takes an upstream slot, records
// the attempt, then waits on the limiter. The attempt is recorded before
// the wait so that, once granted, the call leaves at once: the provider's
// window must see it when the limiter counted it, and a busy database
// must not push it later. The caller owns the slot when err is nil.
func (r *Runner) admit(ctx context.Context, g *group, jobID int64, call int,
	tokens int64) (int64, error) {
	if !g.acquire(ctx) {
		return 0, ctx.Err()
	}
	aid, err := r.cfg.DB.BeginAttempt(context.WithoutCancel(ctx), jobID, call)
	if err != nil {
		g.release()
		return 0, err
	}
	if err := g.limiter.Wait(ctx, tokens); err != nil {
		g.release()
		r.cfg.DB.EndAttempt(context.WithoutCancel(ctx), aid, "unsent", err.Error())
		return aid, err
	}
	return aid, nil
}

// goCall runs one call of ru's job in its own goroutine; its first
// attempt aid was admitted (see admit) and owns a slot of g.sem.
func (r *Runner) goCall(ctx context.Context, g *group, m imagegen.Model, ru *run,
	call, n int, aid int64) {
	ru.wg.Add(1)
	r.calls.Add(1)
	go func() {
		defer r.calls.Done()
		defer ru.wg.Done()
		if !r.runCall(ctx, g, m, ru, call, n, aid) {
			ru.interrupt()
		}
	}()
}

// acquire takes an upstream slot of g, reporting false if ctx ends first.
func (g *group) acquire(ctx context.Context) bool {
	select {
	case g.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// release gives an upstream slot back.
func (g *group) release() { <-g.sem }

// interrupt marks the job as stopped by shutdown, not finished.
func (ru *run) interrupt() {
	ru.mu.Lock()
	ru.interrupted = true
	ru.mu.Unlock()
}

// callImages is how many images call number call of j asks for.
func callImages(m imagegen.Model, j db.Job, call int) int {
	per := max(m.MaxImagesPerCall, 1)
	return min(per, j.Count-call*per)
}

// finishWhenDone waits for a job's calls and ends it. A job interrupted by
// shutdown stays running in the database, holding the reservation of its
// unsettled calls, and is resumed at the next start.
func (r *Runner) finishWhenDone(ctx context.Context, ru *run) {
	ru.wg.Wait()
	r.mu.Lock()
	delete(r.running, ru.job.ID)
	r.mu.Unlock()
	defer r.notify()

	ru.mu.Lock()
	images, reasons, interrupted := ru.images, ru.reasons, ru.interrupted
	ru.mu.Unlock()
	r.mu.Lock()
	done := ru.done
	r.mu.Unlock()
	if interrupted && done == 0 {
		// Nothing of it was sent or settled: it goes back to the queue
		// as it was, and keeps its place by id at the next start.
		if err := r.cfg.DB.RequeueJob(ctx, ru.job.ID); err != nil {
			r.log.Error("requeue job", "job", ru.job.ID, "err", err)
		}
		r.log.Info("job requeued for the next start", "job", ru.job.ID)
		return
	}
	if interrupted {
		r.log.Info("job interrupted; it resumes at the next start", "job", ru.job.ID)
		return
	}

	status, reason := jobOutcome(ru.job, images, reasons)
	if err := r.cfg.DB.FinishJob(ctx, ru.job.ID, status, reason); err != nil {
		r.log.Error("finish job", "job", ru.job.ID, "err", err)
		return
	}
	r.log.Info("job "+status, "job", ru.job.ID, "member", ru.job.MemberID,
		"images", images, "reason", reason)
}

// jobOutcome decides a finished job's status and the reason its member
// reads. A job with any image is done: the images are in the gallery and
// were paid for. The reason then says how many came and why not all; a
// job with none failed with the first call's reason.
func jobOutcome(j db.Job, images int, reasons []string) (status, reason string) {
	switch {
	case images == 0:
		return db.StatusFailed, firstOr(reasons, "no image came back")
	case images < j.Count:
		return db.StatusDone, fmt.Sprintf("%d of %d images: %s", images, j.Count,
			firstOr(reasons, "the provider returned fewer than asked"))
	}
	return db.StatusDone, ""
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

// setWaiting records that a call of ru's job waits on the limiter.
func (r *Runner) setWaiting(ru *run, tokens int64) {
	r.mu.Lock()
	ru.waiting = tokens
	r.mu.Unlock()
	r.notify()
}
