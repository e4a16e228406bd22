package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cursor marks where a gallery page ended: the last image's creation time
// and id. The next page starts strictly after it in the page's order, so
// images deleted between pages are simply gone and none is skipped or
// shown twice.
type Cursor struct {
	At time.Time
	ID int64
}

// IsZero reports whether c is the start of the gallery.
func (c Cursor) IsZero() bool { return c.ID == 0 }

// String encodes the cursor for a URL: milliseconds, a dash, the id.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(millis(c.At), 10) + "-" + strconv.FormatInt(c.ID, 10)
}

// ParseCursor reads a cursor written by String. Anything else is the zero
// cursor, which starts from the first page.
func ParseCursor(s string) Cursor {
	at, id, ok := strings.Cut(s, "-")
	ms, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 || ms < 0 {
		return Cursor{}
	}
	return Cursor{At: fromMillis(ms), ID: n}
}

// GalleryQuery selects a page of the gallery. Every filter is optional
// and they combine with AND.
type GalleryQuery struct {
	Search      string    // as typed; see MatchExpr
	Member      int64     // only this member's images; 0: everyone
	Model       string    // only this model's
	AspectRatio string    // only this aspect ratio
	From, To    time.Time // created at or after From, and before To
	FavouriteOf int64     // only this member's favourites
	Oldest      bool      // oldest first instead of newest first
	After       Cursor    // the previous page's last image
	Limit       int       // 48 when zero
}

// where builds the WHERE clause and its arguments. common says the search
// matches many images; see Gallery.
func (q GalleryQuery) where(common bool) (string, []any) {
	conds, args := []string{"1 = 1"}, []any{}
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if m := MatchExpr(q.Search); m != "" {
		// The unary plus stops SQLite from driving the query from the
		// search's matches, so it walks the date index instead.
		in := "i.id IN"
		if common {
			in = "+i.id IN"
		}
		add(in+" (SELECT rowid FROM images_fts WHERE images_fts MATCH ?)", m)
	}
	if q.Member != 0 {
		add("i.member_id = ?", q.Member)
	}
	if q.Model != "" {
		add("i.model = ?", q.Model)
	}
	if q.AspectRatio != "" {
		add("i.aspect_ratio = ?", q.AspectRatio)
	}
	if !q.From.IsZero() {
		add("i.created_at >= ?", millis(q.From))
	}
	if !q.To.IsZero() {
		add("i.created_at < ?", millis(q.To))
	}
	if q.FavouriteOf > 0 {
		add(`EXISTS (SELECT 1 FROM favourites f
			WHERE f.member_id = ? AND f.image_id = i.id)`, q.FavouriteOf)
	}

	// The keyset condition: strictly past the cursor in the page's order.
	if !q.After.IsZero() {
		op := "<"
		if q.Oldest {
			op = ">"
		}
		add("(i.created_at, i.id) "+op+" (?, ?)", millis(q.After.At), q.After.ID)
	}
	return strings.Join(conds, " AND "), args
}

// Gallery returns a page of images in the query's order and the cursor of
// the next page, which is zero on the last page.
func (d *DB) Gallery(ctx context.Context, q GalleryQuery) ([]Image, Cursor, error) {
	if q.Limit <= 0 {
		q.Limit = 48
	}
	// A search matching few images is fastest read from its matches and
	// sorted; one matching many is fastest by walking the images in page
	// order and keeping the matches, which fills a page within a few rows.
	common, err := d.commonSearch(ctx, MatchExpr(q.Search))
	if err != nil {
		return nil, Cursor{}, err
	}
	where, args := q.where(common)
	order := "DESC"
	if q.Oldest {
		order = "ASC"
	}
	query := fmt.Sprintf(`SELECT %s FROM images i JOIN members m ON m.id = i.member_id
		WHERE %s ORDER BY i.created_at %s, i.id %s LIMIT ?`, imageCols, where, order, order)

	// One row more than the page tells whether another page follows.
	rows, err := d.read.QueryContext(ctx, query, append(args, q.Limit+1)...)
	if err != nil {
		return nil, Cursor{}, err
	}
	defer rows.Close()

	var out []Image
	for rows.Next() {
		im, err := scanImage(rows)
		if err != nil {
			return nil, Cursor{}, err
		}
		out = append(out, im)
	}
	if err := rows.Err(); err != nil || len(out) <= q.Limit {
		return out, Cursor{}, err
	}
	out = out[:q.Limit]
	last := out[len(out)-1]
	return out, Cursor{At: last.CreatedAt, ID: last.ID}, nil
}

// commonMatches is how many matches make a search "common".
const commonMatches = 2000

// commonSearch reports whether a MATCH expression matches at least
// commonMatches images, counting no further than that.
func (d *DB) commonSearch(ctx context.Context, match string) (bool, error) {
	if match == "" {
		return false, nil
	}
	var n int
	err := d.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT rowid FROM images_fts
		WHERE images_fts MATCH ? LIMIT ?)`, match, commonMatches).Scan(&n)
	return n >= commonMatches, err
}

// SetFavourite marks or unmarks an image as one of a member's favourites.
// Doing it twice is harmless.
func (d *DB) SetFavourite(ctx context.Context, memberID, imageID int64, on bool) error {
	if !on {
		_, err := d.write.ExecContext(ctx, `DELETE FROM favourites
			WHERE member_id = ? AND image_id = ?`, memberID, imageID)
		return err
	}
	res, err := d.write.ExecContext(ctx, `INSERT INTO favourites(member_id, image_id,
		created_at) SELECT ?, id, ? FROM images WHERE id = ?
		ON CONFLICT DO NOTHING`, memberID, millis(d.now()), imageID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		_, err = d.Image(ctx, imageID)
		return err
	}
	return nil
}

// IsFavourite reports whether an image is one of a member's favourites.
func (d *DB) IsFavourite(ctx context.Context, memberID, imageID int64) (bool, error) {
	var n int
	err := d.read.QueryRowContext(ctx, `SELECT count(*) FROM favourites
		WHERE member_id = ? AND image_id = ?`, memberID, imageID).Scan(&n)
	return n > 0, err
}
