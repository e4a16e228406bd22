package db

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Image is a stored image's record without its bytes.
type Image struct {
	ID              int64
	JobID           int64
	MemberID        int64
	Author          string
	Model           string
	Prompt          string
	RewrittenPrompt string
	AspectRatio     string
	Size            string
	Seed            int64
	MIME            string
	Width, Height   int
	SHA256          string
	CreatedAt       time.Time
}

const imageCols = `i.id, i.job_id, i.member_id, m.name, i.model, i.prompt,
	i.rewritten_prompt, i.aspect_ratio, i.size, i.seed, i.mime, i.width, i.height,
	i.sha256, i.created_at`

func scanImage(row interface{ Scan(...any) error }) (Image, error) {
	var im Image
	var created int64
	err := row.Scan(&im.ID, &im.JobID, &im.MemberID, &im.Author, &im.Model, &im.Prompt,
		&im.RewrittenPrompt, &im.AspectRatio, &im.Size, &im.Seed, &im.MIME, &im.Width,
		&im.Height, &im.SHA256, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return im, ErrNotFound
	}
	im.CreatedAt = fromMillis(created)
	return im, err
}

// Image reads one image's record.
func (d *DB) Image(ctx context.Context, id int64) (Image, error) {
	return scanImage(d.read.QueryRowContext(ctx, `SELECT `+imageCols+`
		FROM images i JOIN members m ON m.id = i.member_id WHERE i.id = ?`, id))
}

// ImageData reads an image's bytes, or its thumbnail's. Thumbnails are
// served from the in-memory cache when it holds them (see
// CacheThumbnails); the bytes returned may then be shared and must not be
// changed.
func (d *DB) ImageData(
	ctx context.Context,
	id int64,
	thumb bool,
) (data []byte, mime, sha string, err error) {
	if !thumb {
		err = d.read.QueryRowContext(ctx,
			`SELECT data, mime, sha256 FROM images WHERE id = ?`, id).Scan(&data, &mime, &sha)
		if errors.Is(err, sql.ErrNoRows) {
			err = ErrNotFound
		}
		return data, mime, sha, err
	}
	if data, sha, ok := d.thumbs.get(id); ok {
		return data, "image/jpeg", sha, nil
	}
	gen := d.thumbs.generation()
	err = d.read.QueryRowContext(ctx, `SELECT t.data, i.sha256 FROM images i
		JOIN image_thumbs t ON t.image_id = i.id WHERE i.id = ?`, id).Scan(&data, &sha)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", "", ErrNotFound
	}
	if err != nil {
		return nil, "", "", err
	}
	d.thumbs.put(gen, id, sha, data)
	return data, "image/jpeg", sha, nil
}

// DeleteImage removes an image. Its job and the ledger keep their rows:
// what was spent stays spent.
func (d *DB) DeleteImage(ctx context.Context, id int64) error {
	res, err := d.write.ExecContext(ctx, `DELETE FROM images WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	d.thumbs.forget(id)
	return nil
}
