package db_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"atelier/db"
	"atelier/internal/seed"
)

// openSeeded opens a fresh database with two members and n seeded images.
func openSeeded(t testing.TB, n int) (*db.DB, []seed.Image) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "atelier.db")
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })

	var ids []int64
	for _, name := range []string{"ada", "bo"} {
		m, err := d.CreateMember(ctx, name, "x", false, false)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	imgs, err := seed.Images(ctx, path, seed.Options{Members: ids, Images: n, Seed: 1,
		Now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), Span: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return d, imgs
}

func TestMatchExpr(t *testing.T) {
	cases := map[string]string{
		"red fox":             `"red" "fox"`,
		"fox*":                `"fox"*`,
		`"red fox" lake`:      `"red fox" "lake"`,
		`"red fox`:            `"red" "fox"`,
		`a OR b`:              `"a" "OR" "b"`,
		`-cat NEAR(x y)`:      `"cat" "NEAR x" "y"`,
		`prompt:x`:            `"prompt x"`,
		`"`:                   ``,
		`*`:                   ``,
		`( ) - "" **`:         ``,
		`"golden hour"* snow`: `"golden hour"* "snow"`,
		`café`:                `"café"`,
	}
	for in, want := range cases {
		if got := db.MatchExpr(in); got != want {
			t.Errorf("MatchExpr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGallerySearchNeverErrors(t *testing.T) {
	d, _ := openSeeded(t, 300)
	inputs := []string{`"`, `*`, `-`, `OR`, `"red`, `(`, `)`, `NEAR`, `NEAR(`,
		`prompt:x`, `red OR`, `AND`, `NOT fox`, `"" ""`, `^red`, `fox*`, `"red fox"`,
		`'`, `\`, `+`, `{prompt}: red`, `red -fox`, `*fox`, "\x00", `ö`}
	for _, in := range inputs {
		if _, _, err := d.Gallery(context.Background(), db.GalleryQuery{Search: in}); err != nil {
			t.Errorf("search %q: %v", in, err)
		}
	}
}

// pageAll walks every page of q and returns the ids in order. Before each
// page after the first, drop may delete images.
func pageAll(t *testing.T, d *db.DB, q db.GalleryQuery, drop func(page int)) []int64 {
	t.Helper()
	var ids []int64
	for page := 0; ; page++ {
		if page > 0 && drop != nil {
			drop(page)
		}
		imgs, next, err := d.Gallery(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range imgs {
			ids = append(ids, im.ID)
		}
		if next.IsZero() {
			return ids
		}
		q.After = db.ParseCursor(next.String())
	}
}

// expected sorts the seeded images the way the gallery does.
func expected(imgs []seed.Image, oldest bool, keep func(seed.Image) bool) []int64 {
	var sel []seed.Image
	for _, im := range imgs {
		if keep == nil || keep(im) {
			sel = append(sel, im)
		}
	}
	slices.SortFunc(sel, func(a, b seed.Image) int {
		c := a.CreatedAt.Compare(b.CreatedAt)
		if c == 0 {
			c = int(a.ID - b.ID)
		}
		if oldest {
			return c
		}
		return -c
	})
	out := make([]int64, len(sel))
	for i, im := range sel {
		out[i] = im.ID
	}
	return out
}

func TestGalleryKeysetPages(t *testing.T) {
	d, imgs := openSeeded(t, 1000)
	for _, oldest := range []bool{false, true} {
		got := pageAll(t, d, db.GalleryQuery{Oldest: oldest, Limit: 37}, nil)
		if want := expected(imgs, oldest, nil); !slices.Equal(got, want) {
			t.Errorf("oldest=%v: %d ids, want %d in order", oldest, len(got), len(want))
		}
	}
}

func TestFavouritesCascade(t *testing.T) {
	ctx := context.Background()
	d, imgs := openSeeded(t, 20)
	m, id := imgs[0].MemberID, imgs[3].ID
	if err := d.SetFavourite(ctx, m, id, true); err != nil {
		t.Fatal(err)
	}
	if err := d.SetFavourite(ctx, m, id, true); err != nil {
		t.Fatalf("second favourite: %v", err)
	}
	if err := d.SetFavourite(ctx, m, 99999, true); err != db.ErrNotFound {
		t.Fatalf("favourite of a missing image: %v, want ErrNotFound", err)
	}
	got, _, err := d.Gallery(ctx, db.GalleryQuery{FavouriteOf: m})
	if err != nil || len(got) != 1 || got[0].ID != id {
		t.Fatalf("favourites = %v, %v; want just %d", got, err, id)
	}

	// Deleting the image takes the favourite with it.
	if err := d.DeleteImage(ctx, id); err != nil {
		t.Fatal(err)
	}
	if fav, err := d.IsFavourite(ctx, m, id); err != nil || fav {
		t.Fatalf("favourite after delete: %v, %v", fav, err)
	}
}
