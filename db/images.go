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
func (d *DB) ImageData(ctx context.Context, id int64, thumb bool) (data []byte, mime, sha string, err error) {
	col := "data"
	if thumb {
		col = "thumb"
	}
	err = d.read.QueryRowContext(ctx, `SELECT `+col+`, mime, sha256 FROM images WHERE id = ?`,
		id).Scan(&data, &mime, &sha)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if thumb {
		mime = "image/jpeg"
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

// GalleryQuery selects a page of the gallery. Pages are keyed by image id
// (keyset pagination): After is the last id of the previous page, so
// deleting images between pages never skips or repeats one.
type GalleryQuery struct {
	After  int64 // 0: from the start
	Limit  int
	Member int64 // 0: everyone
}

// Gallery returns a page of images, newest first, and whether more follow.
func (d *DB) Gallery(ctx context.Context, q GalleryQuery) ([]Image, bool, error) {
	if q.Limit <= 0 {
		q.Limit = 48
	}
	where, args := "1 = 1", []any{}
	if q.After > 0 {
		where += " AND i.id < ?"
		args = append(args, q.After)
	}
	if q.Member > 0 {
		where += " AND i.member_id = ?"
		args = append(args, q.Member)
	}
	args = append(args, q.Limit+1)

	rows, err := d.read.QueryContext(ctx, `SELECT `+imageCols+` FROM images i
		JOIN members m ON m.id = i.member_id WHERE `+where+` ORDER BY i.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()

	var out []Image
	for rows.Next() {
		im, err := scanImage(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, im)
	}
	more := len(out) > q.Limit
	if more {
		out = out[:q.Limit]
	}
	return out, more, rows.Err()
}

// DayUsage is one day's spending.
type DayUsage struct {
	Day    time.Time
	Tokens int64
	Micros int64
}

// DailyUsage returns a member's settled spending per day for the days
// days ending today, oldest first, with empty days included.
func (d *DB) DailyUsage(ctx context.Context, memberID int64, days int, loc *time.Location) ([]DayUsage, error) {
	if loc == nil {
		loc = time.UTC
	}
	today, _, _, _ := periods(d.now(), loc)
	from := today.AddDate(0, 0, -(days - 1))

	rows, err := d.read.QueryContext(ctx, `SELECT period_at, spent_tokens, spent_micros
		FROM ledger WHERE member_id = ? AND period_at >= ? AND kind = 'settle'`,
		memberID, millis(from))
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	out := make([]DayUsage, days)
	for i := range out {
		out[i].Day = from.AddDate(0, 0, i)
	}
	for rows.Next() {
		var at, tok, mic int64
		if err := rows.Scan(&at, &tok, &mic); err != nil {
			return nil, err
		}
		t := fromMillis(at).In(loc)
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		i := int(day.Sub(from).Hours()/24 + 0.5)
		if i >= 0 && i < days {
			out[i].Tokens += tok
			out[i].Micros += mic
		}
	}
	return out, rows.Err()
}
