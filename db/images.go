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

// ImageData reads an image's bytes, or its thumbnail's.
func (d *DB) ImageData(
	ctx context.Context,
	id int64,
	thumb bool,
) (data []byte, mime, sha string, err error) {
	q := `SELECT data, mime, sha256 FROM images WHERE id = ?`
	if thumb {
		q = `SELECT t.data, 'image/jpeg', i.sha256 FROM images i
			JOIN image_thumbs t ON t.image_id = i.id WHERE i.id = ?`
	}
	err = d.read.QueryRowContext(ctx, q, id).Scan(&data, &mime, &sha)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	return data, mime, sha, err
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
	return nil
}
