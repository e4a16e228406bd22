package db

import (
	"context"
	"database/sql"
	"errors"
)

// JobUsage is what the provider reported for a job, summed over its calls
// from the ledger's raw counts.
type JobUsage struct {
	PromptTokens  int64
	ImageTokens   int64
	TextTokens    int64
	ThoughtTokens int64
	Estimated     bool // some call reported no usage and was charged at estimate
}

// JobUsage sums the raw token counts of a job's settled calls.
func (d *DB) JobUsage(ctx context.Context, jobID int64) (JobUsage, error) {
	var u JobUsage
	err := d.read.QueryRowContext(ctx, `SELECT coalesce(sum(prompt_tokens), 0),
		coalesce(sum(image_tokens), 0), coalesce(sum(text_tokens), 0),
		coalesce(sum(thought_tokens), 0), coalesce(max(estimated), 0)
		FROM ledger WHERE job_id = ? AND kind = 'settle'`, jobID).
		Scan(&u.PromptTokens, &u.ImageTokens, &u.TextTokens, &u.ThoughtTokens, &u.Estimated)
	return u, err
}

// JobOutcome returns how the last failed attempt of a job ended (the
// failure class the runner recorded, such as "blocked" or "overload"),
// or "" when no attempt failed.
func (d *DB) JobOutcome(ctx context.Context, jobID int64) (string, error) {
	var outcome string
	err := d.read.QueryRowContext(ctx, `SELECT outcome FROM attempts
		WHERE job_id = ? AND outcome NOT IN ('pending', 'ok', '', 'settle', 'refund',
			'unsent', 'interrupted')
		ORDER BY id DESC LIMIT 1`, jobID).Scan(&outcome)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return outcome, err
}
