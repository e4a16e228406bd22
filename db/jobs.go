package db

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Job statuses.
const (
	StatusQueued   = "queued"
	StatusRunning  = "running"
	StatusDone     = "done"
	StatusFailed   = "failed"
	StatusCanceled = "canceled"
)

// Job is one prompt submission: Count images of one model, made in Calls
// upstream calls.
type Job struct {
	ID          int64
	MemberID    int64
	SessionID   int64
	Model       string
	Prompt      string
	AspectRatio string
	Size        string
	Count       int
	Seed        int64
	Calls       int
	Status      string
	Reason      string
	EstTokens   int64
	EstMicros   int64
	CreatedAt   time.Time
	StartedAt   time.Time
	FinishedAt  time.Time

	// Filled in from the ledger and images by the readers that say so.
	SpentTokens int64
	SpentMicros int64
	Images      []ImageRef
}

// ImageRef names a stored image for listing.
type ImageRef struct {
	ID     int64
	SHA256 string
	Width  int
	Height int
}

// Active reports whether the job may still change.
func (j Job) Active() bool { return j.Status == StatusQueued || j.Status == StatusRunning }

const jobCols = `id, member_id, session_id, model, prompt, aspect_ratio, size, count,
	seed, calls, status, reason, est_tokens, est_micros, created_at, started_at,
	finished_at`

func scanJob(row interface{ Scan(...any) error }) (Job, error) {
	var j Job
	var created int64
	var started, finished sql.NullInt64
	err := row.Scan(&j.ID, &j.MemberID, &j.SessionID, &j.Model, &j.Prompt,
		&j.AspectRatio, &j.Size, &j.Count, &j.Seed, &j.Calls, &j.Status, &j.Reason,
		&j.EstTokens, &j.EstMicros, &created, &started, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return j, ErrNotFound
	}
	j.CreatedAt, j.StartedAt, j.FinishedAt = fromMillis(created), nullTime(started), nullTime(finished)
	return j, err
}

// NewJob is what a validated prompt form asks for, with its estimate.
type NewJob struct {
	MemberID    int64
	SessionID   int64
	Model       string
	Prompt      string
	AspectRatio string
	Size        string
	Count       int
	Seed        int64
	Calls       int
	EstTokens   int64
	EstMicros   int64
}

// QueueFullError says a member already holds as many queued jobs as allowed.
type QueueFullError struct{ Max int }

func (e *QueueFullError) Error() string {
	return "you already have the most queued jobs allowed; wait for one to finish or cancel one"
}

// CreateJob writes a queued job and reserves its estimate against the
// member's and the team's budgets in one IMMEDIATE transaction, so that
// concurrent submissions cannot together spend more than a budget holds.
// It returns a *BudgetError or *QueueFullError when the job is refused; then
// nothing is written.
func (d *DB) CreateJob(ctx context.Context, nj NewJob, b Budgets, maxQueued int) (Job, error) {
	var job Job
	err := d.tx(ctx, func(tx *sql.Tx) error {
		now := d.now()

		// The per-member queue cap is checked here rather than in memory
		// so it holds across restarts and concurrent posts.
		if maxQueued > 0 {
			var queued int
			err := tx.QueryRowContext(ctx, `SELECT count(*) FROM jobs
				WHERE member_id = ? AND status = 'queued'`, nj.MemberID).Scan(&queued)
			if err != nil {
				return err
			}
			if queued >= maxQueued {
				return &QueueFullError{Max: maxQueued}
			}
		}

		// Check every budget against what is already spent or held.
		q, err := quotaTx(ctx, tx, nj.MemberID, b, now)
		if err != nil {
			return err
		}
		if err := q.admit(nj.EstTokens, nj.EstMicros); err != nil {
			return err
		}

		job, err = scanJob(tx.QueryRowContext(ctx, `INSERT INTO jobs(member_id, session_id,
			model, prompt, aspect_ratio, size, count, seed, calls, est_tokens, est_micros,
			created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+jobCols,
			nj.MemberID, nj.SessionID, nj.Model, nj.Prompt, nj.AspectRatio, nj.Size,
			nj.Count, nj.Seed, nj.Calls, nj.EstTokens, nj.EstMicros, millis(now)))
		if err != nil {
			return err
		}

		_, err = tx.ExecContext(ctx, `INSERT INTO ledger(kind, member_id, session_id, job_id,
			call, model, reserved_tokens, reserved_micros, spent_tokens, spent_micros,
			period_at, created_at) VALUES ('reserve', ?, ?, ?, -1, ?, ?, ?, 0, 0, ?, ?)`,
			job.MemberID, job.SessionID, job.ID, job.Model, job.EstTokens, job.EstMicros,
			millis(now), millis(now))
		return err
	})
	return job, err
}

// Job reads one job with its spending and images.
func (d *DB) Job(ctx context.Context, id int64) (Job, error) {
	j, err := scanJob(d.read.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = ?`, id))
	if err != nil {
		return j, err
	}
	if err := d.fillJobs(ctx, []*Job{&j}); err != nil {
		return j, err
	}
	return j, nil
}

// RecentJobs lists a member's newest jobs with their spending and images.
func (d *DB) RecentJobs(ctx context.Context, memberID int64, limit int) ([]Job, error) {
	jobs, err := d.queryJobs(ctx, d.read, `SELECT `+jobCols+` FROM jobs WHERE member_id = ?
		ORDER BY id DESC LIMIT ?`, memberID, limit)
	if err != nil {
		return nil, err
	}
	ptrs := make([]*Job, len(jobs))
	for i := range jobs {
		ptrs[i] = &jobs[i]
	}
	return jobs, d.fillJobs(ctx, ptrs)
}

// UnfinishedJobs lists queued and running jobs oldest first, for resuming
// after a restart.
func (d *DB) UnfinishedJobs(ctx context.Context) ([]Job, error) {
	return d.queryJobs(ctx, d.read, `SELECT `+jobCols+` FROM jobs
		WHERE status IN ('queued', 'running') ORDER BY id`)
}

func (d *DB) queryJobs(ctx context.Context, q *stmtDB, query string, args ...any) ([]Job, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// fillJobs adds what each job has spent and the images it made.
func (d *DB) fillJobs(ctx context.Context, jobs []*Job) error {
	for _, j := range jobs {
		err := d.read.QueryRowContext(ctx, `SELECT coalesce(sum(spent_tokens), 0),
			coalesce(sum(spent_micros), 0) FROM ledger WHERE job_id = ?`, j.ID).
			Scan(&j.SpentTokens, &j.SpentMicros)
		if err != nil {
			return err
		}

		rows, err := d.read.QueryContext(ctx, `SELECT id, sha256, width, height FROM images
			WHERE job_id = ? ORDER BY call, position`, j.ID)
		if err != nil {
			return err
		}
		j.Images = j.Images[:0]
		for rows.Next() {
			var r ImageRef
			if err := rows.Scan(&r.ID, &r.SHA256, &r.Width, &r.Height); err != nil {
				rows.Close()
				return err
			}
			j.Images = append(j.Images, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// StartJob marks a queued job running. It returns ErrNotQueued when the job
// was cancelled (or started) meanwhile.
func (d *DB) StartJob(ctx context.Context, id int64) error {
	res, err := d.write.ExecContext(ctx, `UPDATE jobs SET status = 'running', started_at = ?
		WHERE id = ? AND status = 'queued'`, millis(d.now()), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotQueued
	}
	return nil
}

// RequeueJob puts a running job back to queued, after a shutdown stopped it
// before its calls were sent.
func (d *DB) RequeueJob(ctx context.Context, id int64) error {
	_, err := d.write.ExecContext(ctx, `UPDATE jobs SET status = 'queued'
		WHERE id = ? AND status = 'running'`, id)
	return err
}

// FinishJob ends a running job. Calls not yet settled are refunded in the
// same transaction, so a job never ends holding a reservation.
func (d *DB) FinishJob(ctx context.Context, id int64, status, reason string) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		j, err := scanJob(tx.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if !j.Active() {
			return nil
		}
		if err := refundOpenCalls(ctx, tx, j, d.now()); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET status = ?, reason = ?, finished_at = ?
			WHERE id = ?`, status, reason, millis(d.now()), id)
		return err
	})
}

// CancelJob cancels a member's queued job and returns its reservation.
func (d *DB) CancelJob(ctx context.Context, id, memberID int64) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		j, err := scanJob(tx.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs
			WHERE id = ? AND member_id = ?`, id, memberID))
		if err != nil {
			return err
		}
		if j.Status != StatusQueued {
			return ErrNotQueued
		}
		if err := refundOpenCalls(ctx, tx, j, d.now()); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET status = 'canceled',
			reason = 'cancelled by you', finished_at = ? WHERE id = ?`, millis(d.now()), id)
		return err
	})
}

// refundOpenCalls writes a refund row for every call of j that has neither
// been settled nor refunded.
func refundOpenCalls(ctx context.Context, tx *sql.Tx, j Job, now time.Time) error {
	for call := 0; call < j.Calls; call++ {
		tok, mic := share(j, call)
		_, err := tx.ExecContext(ctx, `INSERT INTO ledger(kind, member_id, session_id, job_id,
			call, model, reserved_tokens, reserved_micros, spent_tokens, spent_micros,
			period_at, created_at) VALUES ('refund', ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?)
			ON CONFLICT(job_id, call) DO NOTHING`,
			j.MemberID, j.SessionID, j.ID, call, j.Model, -tok, -mic,
			millis(j.CreatedAt), millis(now))
		if err != nil {
			return err
		}
	}
	return nil
}

// share is the part of a job's reservation that one call holds: the
// estimate split evenly, the last call taking the remainder.
func share(j Job, call int) (tokens, micros int64) {
	n := int64(j.Calls)
	tokens, micros = j.EstTokens/n, j.EstMicros/n
	if call == j.Calls-1 {
		tokens += j.EstTokens % n
		micros += j.EstMicros % n
	}
	return tokens, micros
}
