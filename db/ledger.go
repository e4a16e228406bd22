package db

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// DayUsage is one day's settled spending.
type DayUsage struct {
	Day    time.Time
	Tokens int64
	Micros int64
}

// DailyUsage returns settled spending per day for the days days ending
// today, oldest first, with empty days included. memberID 0 means the
// whole team. Rows count on the day of their job, as budgets do.
func (d *DB) DailyUsage(ctx context.Context, memberID int64, days int,
	loc *time.Location) ([]DayUsage, error) {
	if loc == nil {
		loc = time.UTC
	}
	today, _, _, _ := periods(d.now(), loc)
	from := today.AddDate(0, 0, -(days - 1))

	rows, err := d.read.QueryContext(ctx, `SELECT period_at, spent_tokens, spent_micros
		FROM ledger WHERE (? = 0 OR member_id = ?) AND period_at >= ?
		AND kind = 'settle'`, memberID, memberID, millis(from))
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	out := make([]DayUsage, days)
	for i := range out {
		out[i].Day = from.AddDate(0, 0, i)
	}
	for rows.Next() {
		var at, tok, mic int64
		if err := rows.Scan(&at, &tok, &mic); err != nil {
			return nil, err
		}

		// Count calendar days, not 24-hour spans, so DST days stay whole.
		t := fromMillis(at).In(loc)
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		i := int(day.Sub(from).Hours()/24 + 0.5)
		if i >= 0 && i < days {
			out[i].Tokens += tok
			out[i].Micros += mic
		}
	}
	return out, rows.Err()
}

// LedgerEntry is one ledger row with its member's name.
type LedgerEntry struct {
	ID             int64
	Kind           string // reserve, settle or refund
	MemberID       int64
	Member         string
	SessionID      int64
	JobID          int64
	Call           int // -1 on a job's reserve row
	Model          string
	ReservedTokens int64 // change in the amount held
	ReservedMicros int64
	SpentTokens    int64 // change in the amount spent
	SpentMicros    int64
	PromptTokens   int64
	ImageTokens    int64
	TextTokens     int64
	ThoughtTokens  int64
	Estimated      bool
	PeriodAt       time.Time
	CreatedAt      time.Time
}

// LedgerQuery selects ledger rows, newest first.
type LedgerQuery struct {
	Member   int64     // 0: everyone
	From, To time.Time // written at or after From and before To
	Before   int64     // keyset: only rows with a smaller id
	Limit    int       // 0: no limit (exports)
}

const ledgerCols = `l.id, l.kind, l.member_id, m.name, l.session_id, l.job_id, l.call,
	l.model, l.reserved_tokens, l.reserved_micros, l.spent_tokens, l.spent_micros,
	l.prompt_tokens, l.image_tokens, l.text_tokens, l.thought_tokens, l.estimated,
	l.period_at, l.created_at`

func scanLedger(rows *sql.Rows) (LedgerEntry, error) {
	var e LedgerEntry
	var period, created int64
	err := rows.Scan(&e.ID, &e.Kind, &e.MemberID, &e.Member, &e.SessionID, &e.JobID,
		&e.Call, &e.Model, &e.ReservedTokens, &e.ReservedMicros, &e.SpentTokens,
		&e.SpentMicros, &e.PromptTokens, &e.ImageTokens, &e.TextTokens, &e.ThoughtTokens,
		&e.Estimated, &period, &created)
	e.PeriodAt, e.CreatedAt = fromMillis(period), fromMillis(created)
	return e, err
}

// EachLedger calls fn for every row the query selects, newest first,
// without holding them all in memory. fn's error stops the walk.
func (d *DB) EachLedger(ctx context.Context, q LedgerQuery,
	fn func(LedgerEntry) error) error {
	where, args := q.where()
	query := `SELECT ` + ledgerCols + ` FROM ledger l JOIN members m ON m.id = l.member_id
		WHERE ` + where + ` ORDER BY l.id DESC`
	if q.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	rows, err := d.read.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()

	for rows.Next() {
		e, err := scanLedger(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Ledger returns a page of ledger rows, newest first, and the id to pass
// as Before for the next page (0 on the last page).
func (d *DB) Ledger(ctx context.Context, q LedgerQuery) ([]LedgerEntry, int64, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	limit := q.Limit
	q.Limit++

	var out []LedgerEntry
	err := d.EachLedger(ctx, q, func(e LedgerEntry) error {
		out = append(out, e)
		return nil
	})
	if err != nil || len(out) <= limit {
		return out, 0, err
	}
	out = out[:limit]
	return out, out[limit-1].ID, nil
}

// ModelUsage is what one model cost over a span of time.
type ModelUsage struct {
	Model  string
	Jobs   int64
	Calls  int64 // settled calls
	Tokens int64
	Micros int64
}

// UsageByModel sums settled spending per model for jobs created in
// [from, to), most expensive first. memberID 0 means the whole team.
func (d *DB) UsageByModel(ctx context.Context, memberID int64,
	from, to time.Time) ([]ModelUsage, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT model, count(DISTINCT job_id),
		count(*), sum(spent_tokens), sum(spent_micros) FROM ledger
		WHERE kind = 'settle' AND (? = 0 OR member_id = ?)
		AND period_at >= ? AND period_at < ?
		GROUP BY model ORDER BY sum(spent_micros) DESC, model`,
		memberID, memberID, millis(from), millis(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var out []ModelUsage
	for rows.Next() {
		var u ModelUsage
		if err := rows.Scan(&u.Model, &u.Jobs, &u.Calls, &u.Tokens, &u.Micros); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// where builds the WHERE clause. Only the conditions asked for are
// written, so SQLite can pick the index that fits them.
func (q LedgerQuery) where() (string, []any) {
	conds, args := []string{"1 = 1"}, []any{}
	if q.Member > 0 {
		conds, args = append(conds, "l.member_id = ?"), append(args, q.Member)
	}
	if q.Before > 0 {
		conds, args = append(conds, "l.id < ?"), append(args, q.Before)
	}
	if !q.From.IsZero() {
		conds, args = append(conds, "l.created_at >= ?"), append(args, millis(q.From))
	}
	if !q.To.IsZero() {
		conds, args = append(conds, "l.created_at < ?"), append(args, millis(q.To))
	}
	return strings.Join(conds, " AND "), args
}
