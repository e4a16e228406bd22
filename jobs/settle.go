package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"atelier/db"
	"atelier/imagegen"
)

// settle stores a successful call's images and charges it.
func (r *Runner) settle(ctx context.Context, m imagegen.Model, ru *run, call int,
	aid int64, res imagegen.Result, n int) {
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
// billed. A token-priced call without usage is charged its estimate and
// flagged, never as free; a per-image call is charged per delivered image.
func (r *Runner) charge(ctx context.Context, m imagegen.Model, ru *run, call int,
	aid int64, imgs []db.NewImage, u imagegen.Usage, images int, reason string) {
	j := ru.job
	c := db.Charge{Tokens: m.Weight(j.Size) * int64(images), PromptTokens: u.PromptTokens,
		ImageTokens: u.ImageTokens, TextTokens: u.TextTokens, ThoughtTokens: u.ThoughtTokens}
	switch {
	case !m.TokenPriced(), u.Reported:
		c.Micros = m.Cost(u, images)
	default:
		_, c.Micros = m.Estimate(j.Size, max(images, 1))
		c.Estimated = true
	}

	err := r.cfg.DB.SettleCall(ctx, j, call, aid, imgs, c)
	if errors.Is(err, db.ErrSettled) {
		// Settled before (a resumed job): its images are counted already.
		r.record(ru, 0, "")
		return
	}
	if err != nil {
		r.log.Error("settle call", "job", j.ID, "call", call, "err", err)
		r.record(ru, 0, "the result could not be stored")
		return
	}
	r.record(ru, len(imgs), reason)
	r.observeCharge(m, c)
}

// refund returns a call's share of the reservation.
func (r *Runner) refund(ctx context.Context, ru *run, call int, aid int64,
	reason string) {
	err := r.cfg.DB.SettleCall(ctx, ru.job, call, aid, nil, db.Charge{})
	if err != nil && !errors.Is(err, db.ErrSettled) {
		r.log.Error("refund call", "job", ru.job.ID, "call", call, "err", err)
	}
	r.record(ru, 0, reason)
}

// record counts a call's outcome towards its job.
func (r *Runner) record(ru *run, images int, reason string) {
	r.mu.Lock()
	ru.done++
	ru.note, ru.noteUntil = "", time.Time{}
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
