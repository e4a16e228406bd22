package db_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"atelier/auth"
	"atelier/db"
)

// openKeys opens a fresh database with two members and a fixed clock.
func openKeys(t *testing.T) (*db.DB, db.Member, db.Member, *time.Time) {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "atelier.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	d.Now = func() time.Time { return now }

	var ms []db.Member
	for _, name := range []string{"ada", "bo"} {
		m, err := d.CreateMember(ctx, name, "x", false, false)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return d, ms[0], ms[1], &now
}

func TestAPIKeyLifecycle(t *testing.T) {
	d, ada, bo, now := openKeys(t)
	ctx := context.Background()

	k, plain, err := d.CreateAPIKey(ctx, ada.ID, "notebook")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(plain, db.APIKeyPrefix) || len(plain) < 40 {
		t.Fatalf("key %q: want the prefix and 32 random bytes", plain)
	}
	if !strings.HasPrefix(plain, k.Prefix) || len(k.Prefix) >= len(plain)/3 {
		t.Errorf("display prefix %q shows too much or does not match", k.Prefix)
	}

	// Only the hash is stored: the plaintext is nowhere in the row.
	var stored string
	err = rawQueryRow(t, d, `SELECT key_hash FROM api_keys WHERE id = ?`, k.ID, &stored)
	if err != nil {
		t.Fatal(err)
	}
	if stored != auth.HashToken(plain) {
		t.Errorf("stored %q, want the key's hash", stored)
	}

	// Lookup returns the key, its member and its own api session.
	got, m, s, err := d.APIKeyByHash(ctx, auth.HashToken(plain))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != k.ID || m.ID != ada.ID || s.ID != k.SessionID || s.Kind != "api" ||
		s.MemberID != ada.ID {
		t.Errorf("lookup = key %d member %d session %+v", got.ID, m.ID, s)
	}
	if _, _, _, err := d.APIKeyByHash(ctx, auth.HashToken(plain+"x")); !errors.Is(
		err,
		db.ErrNotFound,
	) {
		t.Errorf("wrong key: err %v, want ErrNotFound", err)
	}

	// A second key has a separate session, so usage is told per key.
	k2, _, err := d.CreateAPIKey(ctx, ada.ID, "cron")
	if err != nil {
		t.Fatal(err)
	}
	if k2.SessionID == k.SessionID {
		t.Error("two keys share one session")
	}

	// Touch records the use.
	*now = now.Add(time.Hour)
	if err := d.TouchAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	keys, err := d.APIKeys(ctx, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].ID != k2.ID || !keys[1].LastUsedAt.Equal(*now) {
		t.Fatalf("list = %+v", keys)
	}

	// Another member can neither see nor revoke it.
	if bk, _ := d.APIKeys(ctx, bo.ID); len(bk) != 0 {
		t.Errorf("bo sees %d keys", len(bk))
	}
	if err := d.RevokeAPIKey(ctx, bo.ID, k.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("revoke by another member: %v", err)
	}

	// Revoking ends the key and its session at once; twice is not found.
	if err := d.RevokeAPIKey(ctx, ada.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := d.APIKeyByHash(ctx, auth.HashToken(plain)); !errors.Is(
		err,
		db.ErrNotFound,
	) {
		t.Errorf("revoked key: err %v", err)
	}
	if err := d.RevokeAPIKey(ctx, ada.ID, k.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("second revoke: %v", err)
	}
	keys, _ = d.APIKeys(ctx, ada.ID)
	if !keys[1].Revoked() || keys[0].Revoked() {
		t.Errorf("revoked flags wrong: %+v", keys)
	}
}

func TestAPIKeyDisabledMember(t *testing.T) {
	d, ada, _, _ := openKeys(t)
	ctx := context.Background()
	_, plain, err := d.CreateAPIKey(ctx, ada.ID, "script")
	if err != nil {
		t.Fatal(err)
	}

	ada.Disabled = true
	if err := d.UpdateMember(ctx, ada); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := d.APIKeyByHash(ctx, auth.HashToken(plain)); !errors.Is(
		err,
		db.ErrNotFound,
	) {
		t.Errorf("disabled member's key: err %v, want ErrNotFound", err)
	}

	// Re-enabled, the member's scripts work again with the same key.
	ada.Disabled = false
	if err := d.UpdateMember(ctx, ada); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := d.APIKeyByHash(ctx, auth.HashToken(plain)); err != nil {
		t.Errorf("re-enabled member's key: %v", err)
	}
}

// TestAPIKeySessionIsNoCookie checks that a key's session cannot be
// reached as a browser session with any token.
func TestAPIKeySessionIsNoCookie(t *testing.T) {
	d, ada, _, _ := openKeys(t)
	ctx := context.Background()
	_, plain, err := d.CreateAPIKey(ctx, ada.ID, "script")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.ActiveSession(ctx, auth.HashToken(plain)); !errors.Is(
		err,
		db.ErrNotFound,
	) {
		t.Errorf("the key works as a cookie token: err %v", err)
	}
}

// rawQueryRow reads one value straight from the database file, bypassing
// the package's own queries.
func rawQueryRow(t *testing.T, d *db.DB, query string, arg any, dst any) error {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+d.Path+"?mode=ro")
	if err != nil {
		return err
	}
	defer raw.Close()
	return raw.QueryRow(query, arg).Scan(dst)
}
