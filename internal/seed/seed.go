// Package seed fills an Atelier database with many made-up images, fast,
// for the gallery's tests and its benchmark. It writes rows with plain SQL
// in one transaction instead of running jobs, which would take minutes
// for a hundred thousand images.
package seed

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Models and AspectRatios are the values seeded images take.
var (
	Models       = []string{"offline", "gemini-2.5-flash-image", "imagen-4.0-generate-001"}
	AspectRatios = []string{"1:1", "16:9", "9:16", "4:3", "3:4"}
)

// Words are what prompts are made of. A few are FTS5 keywords on purpose,
// so searches for them as plain words have something to find.
var Words = []string{
	"red", "fox", "forest", "misty", "mountain", "lake", "sunset", "city",
	"neon", "rain", "cat", "portrait", "watercolor", "oil", "painting", "robot",
	"garden", "castle", "dragon", "ocean", "wave", "night", "star", "desert",
	"or", "near", "not", "and", "prompt", "golden", "hour", "snow", "winter",
	"forestry", "foxglove", "lighthouse", "storm", "bridge", "market", "tea",
}

// Options say what to seed.
type Options struct {
	Members []int64       // existing members; images are spread over them
	Images  int           // how many images
	Seed    uint64        // for the random numbers, so runs repeat
	Now     time.Time     // the newest possible creation time
	Span    time.Duration // images are spread over [Now-Span, Now]
}

// Image is what a test needs to know of a seeded image.
type Image struct {
	ID          int64
	MemberID    int64
	Model       string
	AspectRatio string
	Prompt      string
	CreatedAt   time.Time
}

// Images writes o.Images images (each with its own session, job and a
// tiny image and thumbnail) into the database file at path, which db.Open
// must have created, and returns them in the order of their ids.
func Images(ctx context.Context, path string, o Options) ([]Image, error) {
	conn, err := sql.Open("sqlite", "file:"+path+
		"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	defer conn.Close()

	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	// One session per member carries all of that member's jobs.
	sessions, err := addSessions(ctx, tx, o)
	if err != nil {
		return nil, err
	}
	out, err := addImages(ctx, tx, o, sessions)
	if err != nil {
		return nil, err
	}
	return out, tx.Commit()
}

func addSessions(ctx context.Context, tx *sql.Tx, o Options) (map[int64]int64, error) {
	out := map[int64]int64{}
	for _, m := range o.Members {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO sessions(member_id, token_hash, kind,
			created_at) VALUES (?, ?, 'web', ?) RETURNING id`, m,
			fmt.Sprintf("seed-%d-%d", m, o.Seed), o.Now.Add(-o.Span).UnixMilli()).Scan(&id)
		if err != nil {
			return nil, fmt.Errorf("seed session: %w", err)
		}
		out[m] = id
	}
	return out, nil
}

func addImages(ctx context.Context, tx *sql.Tx, o Options,
	sessions map[int64]int64) ([]Image, error) {
	job, err := tx.PrepareContext(ctx, `INSERT INTO jobs(member_id, session_id, model,
		prompt, aspect_ratio, size, count, calls, status, est_tokens, est_micros,
		created_at) VALUES (?, ?, ?, ?, ?, '1K', 1, 1, 'done', 1, 1000, ?) RETURNING id`)
	if err != nil {
		return nil, err
	}
	img, err := tx.PrepareContext(ctx, `INSERT INTO images(job_id, member_id, call,
		position, model, prompt, aspect_ratio, size, seed, mime, width, height, sha256,
		data, created_at) VALUES (?, ?, 0, 0, ?, ?, ?, '1K', 0, 'image/png', 64,
		64, ?, ?, ?) RETURNING id`)
	if err != nil {
		return nil, err
	}
	thumb, err := tx.PrepareContext(ctx,
		`INSERT INTO image_thumbs(image_id, data) VALUES (?, ?)`)
	if err != nil {
		return nil, err
	}

	rng := rand.New(rand.NewPCG(o.Seed, 7))
	out := make([]Image, 0, o.Images)
	var prev time.Time
	for n := range o.Images {
		im := randomImage(rng, o, n, prev)
		prev = im.CreatedAt

		var jobID int64
		at := im.CreatedAt.UnixMilli()
		err := job.QueryRowContext(ctx, im.MemberID, sessions[im.MemberID], im.Model,
			im.Prompt, im.AspectRatio, at).Scan(&jobID)
		if err != nil {
			return nil, fmt.Errorf("seed job: %w", err)
		}
		sum := sha256.Sum256(fmt.Appendf(nil, "%d-%d", o.Seed, n))
		err = img.QueryRowContext(ctx, jobID, im.MemberID, im.Model, im.Prompt,
			im.AspectRatio, hex.EncodeToString(sum[:]), sum[:8], at).Scan(&im.ID)
		if err != nil {
			return nil, fmt.Errorf("seed image: %w", err)
		}
		if _, err := thumb.ExecContext(ctx, im.ID, sum[:4]); err != nil {
			return nil, fmt.Errorf("seed thumbnail: %w", err)
		}
		out = append(out, im)
	}
	return out, nil
}

// randomImage makes up one image. Every tenth one shares the previous
// one's creation time, so pages must order ties by id to stay exact.
func randomImage(rng *rand.Rand, o Options, n int, prev time.Time) Image {
	im := Image{
		MemberID:    o.Members[rng.IntN(len(o.Members))],
		Model:       Models[rng.IntN(len(Models))],
		AspectRatio: AspectRatios[rng.IntN(len(AspectRatios))],
	}
	words := make([]string, 3+rng.IntN(6))
	for i := range words {
		words[i] = Words[rng.IntN(len(Words))]
	}
	im.Prompt = strings.Join(words, " ")
	ago := time.Duration(rng.Int64N(int64(o.Span)))
	im.CreatedAt = o.Now.Add(-ago).Truncate(time.Millisecond)
	if n%10 == 9 {
		im.CreatedAt = prev
	}
	return im
}
