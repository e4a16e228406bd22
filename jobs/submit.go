package jobs

import (
	"context"
	"fmt"
	"time"

	"atelier/db"
	"atelier/imagegen"
	"atelier/quota"
)

// Request is a validated generation request from any front door.
type Request struct {
	MemberID    int64
	SessionID   int64
	Model       string
	Prompt      string
	AspectRatio string
	Size        string
	Count       int
	Seed        int64
}

// MaxImages is the most images one job may ask for.
const MaxImages = 4

// TooLargeError says a job needs more tokens than its group's per-minute
// limit, so it could never be sent.
type TooLargeError struct {
	Tokens, TPM int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("this job needs %d tokens in one call but the provider allows %d "+
		"a minute; ask for fewer or smaller images", e.Tokens, e.TPM)
}

// PausedError says a model group is paused (daily quota spent, billing
// stopped) and new jobs for it are refused until Until.
type PausedError struct {
	Reason string
	Until  time.Time
}

func (e *PausedError) Error() string {
	return fmt.Sprintf("%s; new jobs for this model are refused until %s",
		e.Reason, e.Until.In(quotaZone()).Format("Jan 2 15:04 MST"))
}

// Submit admits a job: it checks the request against the model and the
// limits, reserves its estimate and writes it queued in one transaction,
// then queues it. Refusals are *db.BudgetError, *db.QueueFullError,
// *TooLargeError, *PausedError or a bad-request *imagegen.Error.
func (r *Runner) Submit(ctx context.Context, req Request) (db.Job, error) {
	m, ok := r.Model(req.Model)
	if !ok {
		return db.Job{}, &imagegen.Error{Class: imagegen.ClassBadRequest,
			Reason: fmt.Sprintf("unknown model %q", req.Model)}
	}
	if req.Size == "" && len(m.Sizes) > 0 {
		req.Size = m.Sizes[0]
	}
	// A job of n images is checked as its first call: a model that makes
	// one image a call (Gemini) makes n images in n calls.
	if req.Count < 1 || req.Count > MaxImages {
		return db.Job{}, &imagegen.Error{Class: imagegen.ClassBadRequest,
			Reason: fmt.Sprintf("a job makes 1 to %d images, not %d", MaxImages, req.Count)}
	}
	ireq := imagegen.Request{Model: m.ID, Prompt: req.Prompt, AspectRatio: req.AspectRatio,
		Size: req.Size, Seed: req.Seed, Count: min(req.Count, max(m.MaxImagesPerCall, 1))}
	if err := m.CheckRequest(ireq); err != nil {
		return db.Job{}, err
	}
	g := r.groups[m.Group]

	// A call heavier than the per-minute token limit would wait forever.
	perCall := m.Weight(req.Size) * int64(min(req.Count, max(m.MaxImagesPerCall, 1)))
	if tpm := g.limiter.Limits().TPM; tpm > 0 && perCall > tpm {
		return db.Job{}, &TooLargeError{Tokens: perCall, TPM: tpm}
	}
	// A group done for the day or stopped for billing refuses new jobs
	// at once, with the time it should come back; a per-minute pause
	// only delays them, so they queue.
	if h, held := r.held(g); held {
		return db.Job{}, &PausedError{Reason: h.reason, Until: h.until}
	}

	r.mu.Lock()
	stopped := r.stopped
	r.mu.Unlock()
	if stopped {
		return db.Job{}, errStopped
	}

	tokens, micros := m.Estimate(req.Size, req.Count)
	per := max(m.MaxImagesPerCall, 1)
	job, err := r.cfg.DB.CreateJob(ctx, db.NewJob{
		MemberID: req.MemberID, SessionID: req.SessionID, Model: m.ID,
		Prompt: req.Prompt, AspectRatio: req.AspectRatio, Size: req.Size,
		Count: req.Count, Seed: req.Seed, Calls: (req.Count + per - 1) / per,
		EstTokens: tokens, EstMicros: micros,
	}, r.cfg.Budgets, r.cfg.MaxQueued)
	if err != nil {
		return job, err
	}

	// The database already enforced the per-member cap, durably; the
	// in-memory queue has none of its own.
	if err := g.queue.Push(quota.Item{JobID: job.ID, MemberID: job.MemberID,
		Tokens: job.EstTokens}); err != nil {
		return job, err
	}
	r.log.Info("job queued", "job", job.ID, "member", job.MemberID, "model", job.Model,
		"images", job.Count, "est_tokens", tokens, "est_usd", db.USD(micros))
	r.notify()
	return job, nil
}

// Cancel cancels a member's queued job and returns its reservation.
func (r *Runner) Cancel(ctx context.Context, jobID, memberID int64) error {
	j, err := r.cfg.DB.Job(ctx, jobID)
	if err != nil {
		return err
	}
	if j.MemberID != memberID {
		return db.ErrNotFound
	}
	if err := r.cfg.DB.CancelJob(ctx, jobID, memberID); err != nil {
		return err
	}
	if g := r.groupOf(j.Model); g != nil {
		g.queue.Remove(jobID)
	}
	r.log.Info("job cancelled", "job", jobID, "member", memberID)
	r.notify()
	return nil
}

// Progress is what a member sees of a job still in the works.
type Progress struct {
	Position int           // jobs ahead in the queue; -1 when not queued
	ETA      time.Duration // until it should start, from the limiter
	Note     string        // what is holding it, in plain words
	Done     int           // calls finished, for running jobs
	Starting bool          // next to go, waiting for room under the limits
}

// Progress reports a job's queue position and ETA, or how far a running
// job has got.
func (r *Runner) Progress(j db.Job) Progress {
	p := Progress{Position: -1}
	g := r.groupOf(j.Model)
	if g == nil {
		return p
	}
	h, held := r.held(g)
	p.Note = waitNote(g, h, held)

	if pos, ahead, ok := g.queue.Position(j.ID); ok {
		p.Position = pos
		p.ETA = g.limiter.ETAJob(int64(pos), ahead, j.EstTokens)
		return p
	}

	r.mu.Lock()
	run := r.running[j.ID]
	var waiting int64
	if run != nil {
		p.Done = run.done
		waiting = run.waiting
		if n := run.noteNow(); n != "" {
			p.Note = n
		}
	}
	r.mu.Unlock()

	// Taken from the queue but its call not yet granted: it is next,
	// waiting for room under the provider's limits.
	if waiting > 0 && p.Done == 0 {
		p.Starting = true
		p.ETA = g.limiter.ETAJob(0, 0, waiting)
	}
	return p
}
