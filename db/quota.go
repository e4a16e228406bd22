package db

import (
	"context"
	"database/sql"
	"time"
)

// Budgets are the configured limits. A zero value means no limit.
type Budgets struct {
	DailyTokens       int64 // per member per day, in quota tokens
	MonthlyMicros     int64 // per member per month, micro-USD
	TeamMonthlyMicros int64 // for the whole team per month, micro-USD
	Location          *time.Location
}

// Quota is what a member has used and has left in the current periods.
// Used counts both settled spending and reservations still held.
type Quota struct {
	DailyTokens, DailyTokensUsed     int64
	MonthlyMicros, MonthlyMicrosUsed int64
	TeamMicros, TeamMicrosUsed       int64
	DayResetAt, MonthResetAt         time.Time
}

// remaining returns budget − used, never below zero; -1 for no limit.
func remaining(budget, used int64) int64 {
	if budget <= 0 {
		return -1
	}
	return max(0, budget-used)
}

// TokensLeft is the member's remaining daily tokens, -1 when unlimited.
func (q Quota) TokensLeft() int64 { return remaining(q.DailyTokens, q.DailyTokensUsed) }

// MicrosLeft is the member's remaining monthly USD, -1 when unlimited.
func (q Quota) MicrosLeft() int64 { return remaining(q.MonthlyMicros, q.MonthlyMicrosUsed) }

// TeamMicrosLeft is the team's remaining monthly USD, -1 when unlimited.
func (q Quota) TeamMicrosLeft() int64 { return remaining(q.TeamMicros, q.TeamMicrosUsed) }

// admit returns a *BudgetError naming the first budget that cannot hold a
// job needing tokens and micros.
func (q Quota) admit(tokens, micros int64) error {
	checks := []struct {
		name         string
		budget, used int64
		need         int64
		reset        time.Time
		money        bool
	}{
		{"daily tokens", q.DailyTokens, q.DailyTokensUsed, tokens, q.DayResetAt, false},
		{"monthly USD", q.MonthlyMicros, q.MonthlyMicrosUsed, micros, q.MonthResetAt, true},
		{"team monthly USD", q.TeamMicros, q.TeamMicrosUsed, micros, q.MonthResetAt, true},
	}
	for _, c := range checks {
		if c.budget > 0 && c.used+c.need > c.budget {
			return &BudgetError{Budget: c.name, Remaining: remaining(c.budget, c.used),
				Needed: c.need, ResetAt: c.reset, Money: c.money}
		}
	}
	return nil
}

// periods returns the start of the day and month holding now, and when
// each ends, in loc.
func periods(now time.Time, loc *time.Location) (day, dayEnd, month, monthEnd time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	t := now.In(loc)
	day = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	month = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	return day, day.AddDate(0, 0, 1), month, month.AddDate(0, 1, 0)
}

// MemberQuota reads a member's budgets and what is left of them now.
func (d *DB) MemberQuota(ctx context.Context, memberID int64, b Budgets) (Quota, error) {
	tx, err := d.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Quota{}, err
	}
	defer tx.Rollback()
	return quotaTx(ctx, tx, memberID, b, d.now())
}

// quotaTx computes a member's quota inside tx, so a caller that then
// reserves sees exactly the totals it checked.
func quotaTx(
	ctx context.Context,
	tx *sql.Tx,
	memberID int64,
	b Budgets,
	now time.Time,
) (Quota, error) {
	day, dayEnd, month, monthEnd := periods(now, b.Location)
	q := Quota{DailyTokens: b.DailyTokens, MonthlyMicros: b.MonthlyMicros,
		TeamMicros: b.TeamMonthlyMicros, DayResetAt: dayEnd, MonthResetAt: monthEnd}

	// A member's own override replaces the default.
	var daily, monthly sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT daily_tokens, monthly_micros FROM members
		WHERE id = ?`, memberID).Scan(&daily, &monthly)
	if err != nil {
		return q, err
	}
	if daily.Valid {
		q.DailyTokens = daily.Int64
	}
	if monthly.Valid {
		q.MonthlyMicros = monthly.Int64
	}

	err = tx.QueryRowContext(ctx, `SELECT
		coalesce(sum(CASE WHEN period_at >= ? THEN reserved_tokens + spent_tokens END), 0),
		coalesce(sum(reserved_micros + spent_micros), 0)
		FROM ledger WHERE member_id = ? AND period_at >= ?`,
		millis(day), memberID, millis(month)).Scan(&q.DailyTokensUsed, &q.MonthlyMicrosUsed)
	if err != nil {
		return q, err
	}
	err = tx.QueryRowContext(ctx, `SELECT coalesce(sum(reserved_micros + spent_micros), 0)
		FROM ledger WHERE period_at >= ?`, millis(month)).Scan(&q.TeamMicrosUsed)
	return q, err
}
