package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Member is a person on the team.
type Member struct {
	ID            int64
	Name          string
	PasswordHash  string
	Admin         bool
	Disabled      bool
	DailyTokens   sql.NullInt64 // budget override; NULL uses the default
	MonthlyMicros sql.NullInt64
	CreatedAt     time.Time
}

const memberCols = `id, name, password_hash, is_admin, disabled, daily_tokens,
	monthly_micros, created_at`

func scanMember(row interface{ Scan(...any) error }) (Member, error) {
	var m Member
	var created int64
	err := row.Scan(&m.ID, &m.Name, &m.PasswordHash, &m.Admin, &m.Disabled,
		&m.DailyTokens, &m.MonthlyMicros, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	m.CreatedAt = fromMillis(created)
	return m, err
}

// CreateMember adds a member. onlyIfEmpty makes it succeed only while the
// team has no member yet, which is how the first-run setup page avoids a
// race between two browsers creating the first admin.
func (d *DB) CreateMember(
	ctx context.Context,
	name, hash string,
	admin, onlyIfEmpty bool,
) (Member, error) {
	var m Member
	err := d.tx(ctx, func(tx *sql.Tx) error {
		if onlyIfEmpty {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM members`).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return ErrConflict
			}
		}

		row := tx.QueryRowContext(
			ctx,
			`INSERT INTO members(name, password_hash, is_admin, created_at)
			VALUES (?, ?, ?, ?) RETURNING `+memberCols,
			name,
			hash,
			admin,
			millis(d.now()),
		)
		var err error
		m, err = scanMember(row)
		if err != nil && strings.Contains(err.Error(), "UNIQUE") {
			return ErrConflict
		}
		return err
	})
	return m, err
}

// CountMembers returns how many members exist.
func (d *DB) CountMembers(ctx context.Context) (int, error) {
	var n int
	err := d.read.QueryRowContext(ctx, `SELECT count(*) FROM members`).Scan(&n)
	return n, err
}

// MemberByName finds a member by name, ignoring case.
func (d *DB) MemberByName(ctx context.Context, name string) (Member, error) {
	return scanMember(d.read.QueryRowContext(ctx,
		`SELECT `+memberCols+` FROM members WHERE name = ?`, name))
}

// MemberByID finds a member by id.
func (d *DB) MemberByID(ctx context.Context, id int64) (Member, error) {
	return scanMember(d.read.QueryRowContext(ctx,
		`SELECT `+memberCols+` FROM members WHERE id = ?`, id))
}

// Members lists every member by name.
func (d *DB) Members(ctx context.Context) ([]Member, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT `+memberCols+` FROM members ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var out []Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// UpdateMember changes a member's role, status and budget overrides. A
// member who is disabled also loses every open session at once.
func (d *DB) UpdateMember(ctx context.Context, m Member) error {
	defer d.auth.clear()
	return d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE members SET is_admin = ?, disabled = ?,
			daily_tokens = ?, monthly_micros = ? WHERE id = ?`,
			m.Admin, m.Disabled, m.DailyTokens, m.MonthlyMicros, m.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if !m.Disabled {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET ended_at = ?
			WHERE member_id = ? AND ended_at IS NULL`, millis(d.now()), m.ID)
		return err
	})
}

// SetPassword replaces a member's password hash and ends every open
// browser sign-in of theirs except keepSession (0 keeps none), so a
// password that leaked stops working everywhere at once. API keys are
// credentials of their own and stay valid; their sessions only tell
// usage apart and are left open.
func (d *DB) SetPassword(ctx context.Context, memberID int64, hash string,
	keepSession int64) error {
	defer d.auth.clear()
	return d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE members SET password_hash = ? WHERE id = ?`, hash, memberID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET ended_at = ?
			WHERE member_id = ? AND kind = 'web' AND id != ? AND ended_at IS NULL`,
			millis(d.now()), memberID, keepSession)
		return err
	})
}
