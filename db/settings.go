package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
)

// LoadSetting reads the JSON value stored under key into v. It reports
// false when nothing is stored.
func (d *DB) LoadSetting(ctx context.Context, key string, v any) (bool, error) {
	var raw []byte
	err := d.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(raw, v)
}

// SaveSetting stores v as JSON under key, replacing what was there.
func (d *DB) SaveSetting(ctx context.Context, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = d.write.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, raw)
	return err
}
