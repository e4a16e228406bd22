// Package db keeps Atelier's state in one SQLite file: members and their
// sessions, jobs and their upstream attempts, images, and the usage ledger.
// SQL is hand-written and parameterised; helpers that change money or quota
// run inside one IMMEDIATE transaction so concurrent requests serialise.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open Atelier database: one writer connection and a pool of
// readers over the same WAL-mode file.
type DB struct {
	Path string

	write *sql.DB
	read  *stmtDB

	// Now is the clock every query uses for "now"; tests replace it.
	Now func() time.Time

	auth   authCache
	thumbs *thumbCache
}

// dsn builds the connection string. Every pragma is in the DSN rather than
// run once after open: each pooled connection is its own SQLite handle, and
// a pragma run on one connection would be missing on the others. The busy
// timeout comes first so that the journal-mode switch itself may wait.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database at path and applies any
// pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	// The file holds password hashes and the cookie keys: create it
	// readable by its owner only. SQLite gives its -wal and -shm files
	// the same permissions.
	if f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
		f.Close()
	}

	write, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, err
	}

	// SQLite allows one writer at a time; a single connection turns lock
	// contention into Go-side queueing instead of busy errors.
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)

	d := &DB{Path: path, write: write, Now: time.Now, thumbs: newThumbCache(0)}
	if err := d.migrate(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}

	read, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	d.read = newStmtDB(read)
	return d, nil
}

// CacheThumbnails keeps up to maxBytes of recently read thumbnails in
// memory (0 turns the cache off, as it starts). Call it before the
// database is in use.
func (d *DB) CacheThumbnails(maxBytes int64) { d.thumbs = newThumbCache(maxBytes) }

// ThumbCacheStats reports the thumbnail cache's hits, misses and size.
func (d *DB) ThumbCacheStats() ThumbCacheStats { return d.thumbs.stats() }

// Close closes both pools.
func (d *DB) Close() error {
	return errors.Join(d.read.Close(), d.write.Close())
}

// Ping checks that the database answers and accepts a write.
func (d *DB) Ping(ctx context.Context) error {
	_, err := d.write.ExecContext(ctx,
		`INSERT INTO settings(key, value) VALUES ('ping', 1)
		 ON CONFLICT(key) DO UPDATE SET value = value`)
	return err
}

// now returns the clock's time truncated to milliseconds, the precision
// stored in the database.
func (d *DB) now() time.Time { return d.Now().Truncate(time.Millisecond) }

// tx runs fn in a write transaction (BEGIN IMMEDIATE through the DSN),
// committing when fn returns nil.
func (d *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (d *DB) migrate(ctx context.Context) error {
	if _, err := d.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
		name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}

	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)

	for _, name := range names {
		if err := d.applyMigration(ctx, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// applyMigration runs one migration file in its own transaction, once.
func (d *DB) applyMigration(ctx context.Context, name string) error {
	short := strings.TrimPrefix(name, "migrations/")
	return d.tx(ctx, func(tx *sql.Tx) error {
		var n int
		err := tx.QueryRowContext(ctx,
			`SELECT count(*) FROM migrations WHERE name = ?`, short).Scan(&n)
		if err != nil || n > 0 {
			return err
		}

		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO migrations(name, applied_at) VALUES (?, ?)`,
			short, time.Now().UnixMilli())
		return err
	})
}

// Backup writes a consistent copy of the live database to path with
// VACUUM INTO, which reads one snapshot while writers carry on.
//
// It runs on a connection of its own: the reader pool is query-only, which
// SQLite counts as forbidding VACUUM INTO, and the writer must stay free.
func (d *DB) Backup(ctx context.Context, path string) error {
	conn, err := sql.Open("sqlite", dsn(d.Path, false))
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err = conn.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms) }

func nullTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMillis(n.Int64)
}
