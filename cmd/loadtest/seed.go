package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"atelier/auth"
	"atelier/db"
	"atelier/imagegen"
)

// member is a seeded account the load clients sign in as.
type member struct {
	ID       int64
	Name     string
	Password string
}

// seeded is what the load clients need to know about the database.
type seeded struct {
	Members []member
	Images  []seededImage
}

// seededImage is one image row: its id, content hash and sample.
type seededImage struct {
	ID     int64
	SHA256 string
	Sample int
}

// seedBatch is how many images one seeding transaction writes.
const seedBatch = 2000

// seed creates the database at path through Atelier's own db package
// (so every migration, trigger and index is there), adds members with a
// session each, and then writes n finished jobs with one image and their
// ledger rows each, spread over the last 90 days.
func seed(ctx context.Context, path string, members, n int,
	samples []sample) (seeded, error) {
	var out seeded
	store, err := db.Open(ctx, path)
	if err != nil {
		return out, err
	}
	sessions, err := seedMembers(ctx, store, members, &out)
	store.Close()
	if err != nil {
		return out, err
	}

	// Plain SQL in large transactions: the db package writes one job at
	// a time, which would take far too long for 100,000 images.
	raw, err := sql.Open("sqlite", "file:"+path+
		"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)&_pragma=foreign_keys(ON)")
	if err != nil {
		return out, err
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	out.Images = make([]seededImage, 0, n)
	now := time.Now().Add(-time.Hour)
	for start := 0; start < n; start += seedBatch {
		rows := seedRows(start, min(n, start+seedBatch), n, now, out.Members, sessions,
			samples)
		if err := insertRows(ctx, raw, rows); err != nil {
			return out, err
		}
		for _, r := range rows {
			out.Images = append(out.Images, seededImage{ID: r.id, SHA256: r.sha,
				Sample: r.sample})
		}
	}
	if err := markMigrations(ctx, raw); err != nil {
		return out, err
	}
	_, err = raw.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return out, err
}

// markMigrations records each applied migration under its embedded path
// as well as its bare name. db.Open looks a migration up by the first and
// records it by the second, so without this the server, opening the
// seeded file a second time, would run every migration again and fail.
// Rows under both names are harmless once that lookup is fixed.
func markMigrations(ctx context.Context, raw *sql.DB) error {
	_, err := raw.ExecContext(ctx, `INSERT OR IGNORE INTO migrations(name, applied_at)
		SELECT 'migrations/' || name, applied_at FROM migrations
		WHERE name NOT LIKE 'migrations/%'`)
	return err
}

// seedMembers creates the members, each with a password and a session
// that the seeded jobs belong to.
func seedMembers(ctx context.Context, store *db.DB, n int, out *seeded) ([]int64, error) {
	var sessions []int64
	for i := range max(n, 1) {
		m := member{Name: fmt.Sprintf("load%02d", i+1),
			Password: fmt.Sprintf("load-test-password-%02d", i+1)}
		hash, err := auth.HashPassword(m.Password)
		if err != nil {
			return nil, err
		}
		dm, err := store.CreateMember(ctx, m.Name, hash, i == 0, false)
		if err != nil {
			return nil, fmt.Errorf("create member %s: %w", m.Name, err)
		}
		m.ID = dm.ID
		s, err := store.CreateSession(ctx, m.ID, "web", auth.HashToken(auth.Token(32)),
			"load test seed")
		if err != nil {
			return nil, err
		}
		out.Members = append(out.Members, m)
		sessions = append(sessions, s.ID)
	}
	return sessions, nil
}

// row is one seeded job with its single image.
type row struct {
	id, member, session, at int64
	sample                  int
	sha                     string
	s                       *sample
}

// seedRows describes images [from, to) of n, oldest first, so that ids
// and creation times rise together as they do in a real gallery.
func seedRows(from, to, n int, now time.Time, ms []member, sessions []int64,
	samples []sample) []row {
	span := 90 * 24 * time.Hour
	rows := make([]row, 0, to-from)
	for i := from; i < to; i++ {
		k := i % len(ms)
		at := now.Add(-span + time.Duration(i)*span/time.Duration(n))
		sum := sha256.New()
		binary.Write(sum, binary.BigEndian, int64(i))
		sum.Write(samples[i%len(samples)].PNG)
		rows = append(rows, row{id: int64(i + 1), member: ms[k].ID, session: sessions[k],
			at: at.UnixMilli(), sample: i % len(samples), s: &samples[i%len(samples)],
			sha: hex.EncodeToString(sum.Sum(nil))})
	}
	return rows
}

const (
	insertJob = `INSERT INTO jobs(id, member_id, session_id, model, prompt,
		aspect_ratio, size, count, seed, calls, status, est_tokens, est_micros,
		created_at, started_at, finished_at)
		VALUES (?, ?, ?, 'offline', ?, ?, '1K', 1, 0, 1, 'done', ?, 0, ?, ?, ?)`
	insertImage = `INSERT INTO images(id, job_id, member_id, call, position, model,
		prompt, aspect_ratio, size, seed, mime, width, height, sha256, data,
		created_at) VALUES (?, ?, ?, 0, 0, 'offline', ?, ?, '1K', 0, 'image/png', ?, ?,
		?, ?, ?)`
	insertThumb  = `INSERT INTO image_thumbs(image_id, data) VALUES (?, ?)`
	insertLedger = `INSERT INTO ledger(kind, member_id, session_id, job_id, call,
		model, reserved_tokens, reserved_micros, spent_tokens, spent_micros,
		image_tokens, period_at, created_at)
		VALUES (?, ?, ?, ?, ?, 'offline', ?, 0, ?, 0, ?, ?, ?)`
)

// insertRows writes one batch of jobs, images and ledger rows in one
// transaction.
func insertRows(ctx context.Context, raw *sql.DB, rows []row) error {
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := make([]*sql.Stmt, 4)
	for i, q := range []string{insertJob, insertImage, insertLedger, insertThumb} {
		if stmts[i], err = tx.PrepareContext(ctx, q); err != nil {
			return err
		}
	}
	tokens := offlineTokens()
	for _, r := range rows {
		if err := insertRow(ctx, stmts, r, tokens); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func insertRow(ctx context.Context, st []*sql.Stmt, r row, tokens int64) error {
	s := r.s
	done := r.at + 900
	if _, err := st[0].ExecContext(ctx, r.id, r.member, r.session, s.Prompt,
		s.AspectRatio, tokens, r.at, r.at+100, done); err != nil {
		return fmt.Errorf("seed job %d: %w", r.id, err)
	}
	if _, err := st[1].ExecContext(ctx, r.id, r.id, r.member, s.Prompt, s.AspectRatio,
		s.Width, s.Height, r.sha, s.PNG, done); err != nil {
		return fmt.Errorf("seed image %d: %w", r.id, err)
	}
	if _, err := st[3].ExecContext(ctx, r.id, s.Thumb); err != nil {
		return fmt.Errorf("seed thumbnail %d: %w", r.id, err)
	}

	// The reservation and its settlement, as a finished job leaves them.
	if _, err := st[2].ExecContext(ctx, "reserve", r.member, r.session, r.id, -1,
		tokens, 0, 0, r.at, r.at); err != nil {
		return err
	}
	_, err := st[2].ExecContext(ctx, "settle", r.member, r.session, r.id, 0,
		-tokens, tokens, tokens, r.at, done)
	return err
}

// offlineTokens is what one 1K offline image is charged in tokens.
func offlineTokens() int64 {
	m, _ := imagegen.DefaultCatalog().Lookup("offline")
	return m.Weight("1K")
}
