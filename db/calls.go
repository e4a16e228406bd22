package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// ErrSettled is returned when a call's outcome was already recorded; the
// second record is dropped whole, so nothing is stored or charged twice.
var ErrSettled = errors.New("call already settled")

// BeginAttempt records that one upstream call of a job is about to be sent.
// It is written before the call so a restart can tell a call that may have
// been billed from one that never left.
func (d *DB) BeginAttempt(ctx context.Context, jobID int64, call int) (int64, error) {
	var id int64
	err := d.write.QueryRowContext(ctx, `INSERT INTO attempts(job_id, call, started_at)
		VALUES (?, ?, ?) RETURNING id`, jobID, call, millis(d.now())).Scan(&id)
	return id, err
}

// EndAttempt records how an attempt that did not settle its call ended
// (a retry, a rate limit, a failure).
func (d *DB) EndAttempt(ctx context.Context, attemptID int64, outcome, detail string) error {
	_, err := d.write.ExecContext(ctx, `UPDATE attempts SET finished_at = ?, outcome = ?,
		detail = ? WHERE id = ?`, millis(d.now()), outcome, detail, attemptID)
	return err
}

// Attempts counts the attempts recorded for one call of a job.
func (d *DB) Attempts(ctx context.Context, jobID int64, call int) (int, error) {
	var n int
	err := d.read.QueryRowContext(ctx, `SELECT count(*) FROM attempts
		WHERE job_id = ? AND call = ?`, jobID, call).Scan(&n)
	return n, err
}

// CallSettled reports whether a call's outcome is already in the ledger.
func (d *DB) CallSettled(ctx context.Context, jobID int64, call int) (bool, error) {
	var n int
	err := d.read.QueryRowContext(ctx, `SELECT count(*) FROM ledger
		WHERE job_id = ? AND call = ?`, jobID, call).Scan(&n)
	return n > 0, err
}

// NewImage is one image to store with its call.
type NewImage struct {
	MIME            string
	Width, Height   int
	SHA256          string
	Data, Thumb     []byte
	RewrittenPrompt string
}

// Charge is what the provider billed for one call.
type Charge struct {
	Tokens, Micros int64
	PromptTokens   int64
	ImageTokens    int64
	TextTokens     int64
	ThoughtTokens  int64
	Estimated      bool // usage was missing: charged at the estimate
}

// SettleCall stores the images one call produced and charges it, in one
// transaction that also closes the attempt. A call settled before (say,
// by a process that crashed after committing) returns ErrSettled and
// changes nothing.
func (d *DB) SettleCall(
	ctx context.Context,
	j Job,
	call int,
	attemptID int64,
	imgs []NewImage,
	c Charge,
) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		now := d.now()
		tok, mic := share(j, call)

		// The ledger's unique (job, call) key is the guard against a
		// double charge: insert it first and stop on a conflict.
		kind := "settle"
		if c.Tokens == 0 && c.Micros == 0 && len(imgs) == 0 {
			kind = "refund"
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO ledger(kind, member_id, session_id, job_id,
			call, model, reserved_tokens, reserved_micros, spent_tokens, spent_micros,
			prompt_tokens, image_tokens, text_tokens, thought_tokens, estimated, period_at,
			created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			kind, j.MemberID, j.SessionID, j.ID, call, j.Model, -tok, -mic, c.Tokens, c.Micros,
			c.PromptTokens, c.ImageTokens, c.TextTokens, c.ThoughtTokens, c.Estimated,
			millis(j.CreatedAt), millis(now))
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE") {
				return ErrSettled
			}
			return err
		}

		for i, im := range imgs {
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO images(job_id, member_id, call,
				position, model, prompt, aspect_ratio, size, seed, mime, width, height,
				sha256, data, rewritten_prompt, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,
				?, ?, ?, ?, ?, ?, ?) RETURNING id`, j.ID, j.MemberID, call, i, j.Model,
				j.Prompt, j.AspectRatio, j.Size, j.Seed, im.MIME, im.Width, im.Height,
				im.SHA256, im.Data, im.RewrittenPrompt, millis(now)).Scan(&id)
			if err != nil {
				return err
			}
			if err := insertThumb(ctx, tx, id, im.Thumb); err != nil {
				return err
			}
		}

		if attemptID == 0 {
			return nil
		}
		// An attempt that already ended with a failure class keeps it:
		// that is what tells a refund for a block from one for overload.
		_, err = tx.ExecContext(ctx, `UPDATE attempts SET finished_at = ?, outcome = ?
			WHERE id = ? AND outcome = 'pending'`, millis(now), kind, attemptID)
		return err
	})
}

// AbandonAttempts marks the attempts of unfinished jobs that never ended:
// the process stopped while they were in flight (or about to leave), so
// the provider may have answered, and billed, them without Atelier
// learning of it. Their calls
// are not settled, so the job sends them again and the member is charged
// once. It returns how many attempts it marked.
func (d *DB) AbandonAttempts(ctx context.Context) (int64, error) {
	res, err := d.write.ExecContext(ctx, `UPDATE attempts SET outcome = 'interrupted',
		finished_at = ?,
		detail = 'the process stopped while the call was in flight or about to leave'
		WHERE outcome = 'pending' AND job_id IN
		(SELECT id FROM jobs WHERE status IN ('queued', 'running'))`, millis(d.now()))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Attempt is one recorded upstream call attempt.
type Attempt struct {
	ID         int64
	JobID      int64
	Call       int
	StartedAt  time.Time
	FinishedAt time.Time // zero while pending
	Outcome    string    // pending, settle, refund, interrupted or a class name
	Detail     string
}

// JobAttempts lists a job's attempts in the order they were made.
func (d *DB) JobAttempts(ctx context.Context, jobID int64) ([]Attempt, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT id, job_id, call, started_at,
		finished_at, outcome, detail FROM attempts WHERE job_id = ? ORDER BY id`, jobID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var out []Attempt
	for rows.Next() {
		var a Attempt
		var started int64
		var finished sql.NullInt64
		err := rows.Scan(&a.ID, &a.JobID, &a.Call, &started, &finished, &a.Outcome,
			&a.Detail)
		if err != nil {
			return nil, err
		}
		a.StartedAt, a.FinishedAt = fromMillis(started), nullTime(finished)
		out = append(out, a)
	}
	return out, rows.Err()
}

// JobLedger lists a job's ledger rows oldest first: its reserve row, then
// one settle or refund row per call.
func (d *DB) JobLedger(ctx context.Context, jobID int64) ([]LedgerEntry, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT `+ledgerCols+` FROM ledger l
		JOIN members m ON m.id = l.member_id WHERE l.job_id = ? ORDER BY l.id`, jobID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var out []LedgerEntry
	for rows.Next() {
		e, err := scanLedger(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// insertThumb stores an image's thumbnail in its own table (see
// migration 004 for why it is not a column of images).
func insertThumb(ctx context.Context, tx *sql.Tx, imageID int64, thumb []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO image_thumbs(image_id, data) VALUES (?, ?)`,
		imageID, thumb)
	return err
}
