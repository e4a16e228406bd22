package db

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Session is one sign-in (or one API key's use), the unit usage is told by.
type Session struct {
	ID        int64
	MemberID  int64
	Kind      string // "web" or "api"
	UserAgent string
	CreatedAt time.Time
	EndedAt   time.Time
}

// CreateSession records a sign-in. tokenHash is the hash of the random
// token the browser holds; the token itself is never stored.
func (d *DB) CreateSession(
	ctx context.Context,
	memberID int64,
	kind, tokenHash, userAgent string,
) (Session, error) {
	s := Session{MemberID: memberID, Kind: kind, UserAgent: userAgent, CreatedAt: d.now()}
	err := d.write.QueryRowContext(ctx, `INSERT INTO sessions(member_id, token_hash, kind,
		user_agent, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		memberID, tokenHash, kind, userAgent, millis(s.CreatedAt)).Scan(&s.ID)
	return s, err
}

// ActiveSession finds the open session for a token hash together with its
// member. Ended sessions and disabled members are reported as ErrNotFound.
func (d *DB) ActiveSession(ctx context.Context, tokenHash string) (Session, Member, error) {
	if s, m, ok := d.auth.get(tokenHash, time.Now()); ok {
		return s, m, nil
	}
	gen := d.auth.generation()
	s, m, err := d.activeSession(ctx, tokenHash)
	if err == nil {
		d.auth.put(gen, tokenHash, s, m, time.Now())
	}
	return s, m, err
}

func (d *DB) activeSession(ctx context.Context, tokenHash string) (Session, Member, error) {
	var s Session
	var created int64
	row := d.read.QueryRowContext(ctx, `SELECT s.id, s.kind, s.user_agent, s.created_at,
		m.`+memberColsPrefixed+`
		FROM sessions s JOIN members m ON m.id = s.member_id
		WHERE s.token_hash = ? AND s.ended_at IS NULL AND m.disabled = 0`, tokenHash)

	var m Member
	var mCreated int64
	err := row.Scan(&s.ID, &s.Kind, &s.UserAgent, &created, &m.ID, &m.Name,
		&m.PasswordHash, &m.Admin, &m.Disabled, &m.DailyTokens, &m.MonthlyMicros, &mCreated)
	if errors.Is(err, sql.ErrNoRows) {
		return s, m, ErrNotFound
	}
	s.MemberID, s.CreatedAt, m.CreatedAt = m.ID, fromMillis(created), fromMillis(mCreated)
	return s, m, err
}

const memberColsPrefixed = `id, m.name, m.password_hash, m.is_admin, m.disabled,
	m.daily_tokens, m.monthly_micros, m.created_at`

// EndSession closes one session so its cookie stops working.
func (d *DB) EndSession(ctx context.Context, id int64) error {
	defer d.auth.clear()
	_, err := d.write.ExecContext(ctx,
		`UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL`,
		millis(d.now()), id)
	return err
}

// SessionUsage is a session with what was spent in it.
type SessionUsage struct {
	Session
	Tokens int64
	Micros int64
	Images int64
}

// MemberSessions lists a member's sessions, newest first, with the tokens,
// cost and images each one accounts for.
func (d *DB) MemberSessions(
	ctx context.Context,
	memberID int64,
	limit int,
) ([]SessionUsage, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT s.id, s.kind, s.user_agent, s.created_at,
		s.ended_at,
		coalesce((SELECT sum(spent_tokens) FROM ledger l WHERE l.session_id = s.id), 0),
		coalesce((SELECT sum(spent_micros) FROM ledger l WHERE l.session_id = s.id), 0),
		(SELECT count(*) FROM images i JOIN jobs j ON j.id = i.job_id WHERE j.session_id = s.id)
		FROM sessions s WHERE s.member_id = ? ORDER BY s.id DESC LIMIT ?`, memberID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var out []SessionUsage
	for rows.Next() {
		var u SessionUsage
		var created int64
		var ended sql.NullInt64
		if err := rows.Scan(&u.ID, &u.Kind, &u.UserAgent, &created, &ended,
			&u.Tokens, &u.Micros, &u.Images); err != nil {
			return nil, err
		}
		u.MemberID, u.CreatedAt, u.EndedAt = memberID, fromMillis(created), nullTime(ended)
		out = append(out, u)
	}
	return out, rows.Err()
}

// Secret returns the value stored under key, creating it with gen on first
// use. Cookie-signing keys live here so they survive restarts.
func (d *DB) Secret(ctx context.Context, key string, gen func() []byte) ([]byte, error) {
	var v []byte
	err := d.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		v = gen()
		_, err = tx.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)`, key, v)
		return err
	})
	return v, err
}
