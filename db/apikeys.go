package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"atelier/auth"
)

// APIKeyPrefix starts every personal API key, so a leaked one is easy to
// recognise in a log or a repository scan.
const APIKeyPrefix = "atl_"

// apiKeyShown is how much of a key the settings page shows: the fixed
// prefix and a few random characters, too few to guess the rest.
const apiKeyShown = len(APIKeyPrefix) + 6

// APIKey is a member's personal key, without the key itself.
type APIKey struct {
	ID         int64
	MemberID   int64
	Name       string
	Prefix     string // the key's first characters, for display
	SessionID  int64  // the 'api' session its usage is told by
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: still valid
}

// Revoked reports whether the key has been revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

const apiKeyCols = `k.id, k.member_id, k.name, k.prefix, k.session_id, k.created_at,
	k.last_used_at, k.revoked_at`

func scanAPIKey(row interface{ Scan(...any) error }, extra ...any) (APIKey, error) {
	var k APIKey
	var created int64
	var used, revoked sql.NullInt64
	dst := append([]any{&k.ID, &k.MemberID, &k.Name, &k.Prefix, &k.SessionID, &created,
		&used, &revoked}, extra...)
	err := row.Scan(dst...)
	if errors.Is(err, sql.ErrNoRows) {
		return k, ErrNotFound
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromMillis(created), nullTime(used),
		nullTime(revoked)
	return k, err
}

// CreateAPIKey makes a new key for a member and returns it with the
// plaintext key, which exists only in this return value: the database
// keeps its hash. The key gets its own 'api' session in the same
// transaction.
func (d *DB) CreateAPIKey(ctx context.Context, memberID int64,
	name string) (APIKey, string, error) {
	plain := APIKeyPrefix + auth.Token(32)
	hash := auth.HashToken(plain)
	now := millis(d.now())
	var k APIKey
	err := d.tx(ctx, func(tx *sql.Tx) error {
		// The session's token hash is marked so that no cookie token,
		// whose hash is plain hex, can ever match it.
		var sid int64
		err := tx.QueryRowContext(ctx, `INSERT INTO sessions(member_id, token_hash, kind,
			user_agent, created_at) VALUES (?, ?, 'api', ?, ?) RETURNING id`,
			memberID, "apikey:"+hash, "API key: "+name, now).Scan(&sid)
		if err != nil {
			return err
		}
		k, err = scanAPIKey(tx.QueryRowContext(ctx, `INSERT INTO api_keys(member_id,
			name, key_hash, prefix, session_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
			RETURNING `+strings.ReplaceAll(apiKeyCols, "k.", ""),
			memberID, name, hash, plain[:apiKeyShown], sid, now))
		return err
	})
	if err != nil {
		return APIKey{}, "", err
	}
	return k, plain, nil
}

// APIKeys lists a member's keys, newest first, revoked ones included.
func (d *DB) APIKeys(ctx context.Context, memberID int64) ([]APIKey, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys k
		WHERE k.member_id = ? ORDER BY k.id DESC`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var out []APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey revokes one of a member's own keys and ends its session.
// Another member's key, or one already revoked, is ErrNotFound.
func (d *DB) RevokeAPIKey(ctx context.Context, memberID, keyID int64) error {
	defer d.auth.clear()
	now := millis(d.now())
	return d.tx(ctx, func(tx *sql.Tx) error {
		var sid int64
		err := tx.QueryRowContext(ctx, `UPDATE api_keys SET revoked_at = ?
			WHERE id = ? AND member_id = ? AND revoked_at IS NULL RETURNING session_id`,
			now, keyID, memberID).Scan(&sid)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET ended_at = ?
			WHERE id = ? AND ended_at IS NULL`, now, sid)
		return err
	})
}

// APIKeyByHash finds a valid key by the hash of what a client sent, with
// its member and session. Revoked keys and keys of disabled members are
// ErrNotFound.
//
// The key's session is not required to be open: disabling a member ends
// every session, yet re-enabling them should bring their scripts back
// without new keys; revocation is what ends a key for good.
func (d *DB) APIKeyByHash(ctx context.Context,
	hash string) (APIKey, Member, Session, error) {
	var m Member
	var s Session
	var mCreated, sCreated int64
	k, err := scanAPIKey(d.read.QueryRowContext(ctx, `SELECT `+apiKeyCols+`,
		m.`+memberColsPrefixed+`, s.kind, s.user_agent, s.created_at
		FROM api_keys k JOIN members m ON m.id = k.member_id
		JOIN sessions s ON s.id = k.session_id
		WHERE k.key_hash = ? AND k.revoked_at IS NULL AND m.disabled = 0`, hash),
		&m.ID, &m.Name, &m.PasswordHash, &m.Admin, &m.Disabled, &m.DailyTokens,
		&m.MonthlyMicros, &mCreated, &s.Kind, &s.UserAgent, &sCreated)
	if err != nil {
		return k, m, s, err
	}
	m.CreatedAt = fromMillis(mCreated)
	s.ID, s.MemberID, s.CreatedAt = k.SessionID, m.ID, fromMillis(sCreated)
	return k, m, s, nil
}

// TouchAPIKey records that a key was just used. Callers skip it when the
// key was used moments ago, so a busy script does not write on every
// request.
func (d *DB) TouchAPIKey(ctx context.Context, keyID int64) error {
	_, err := d.write.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`,
		millis(d.now()), keyID)
	return err
}
