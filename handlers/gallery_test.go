package handlers_test

import (
	"context"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"atelier/internal/seed"
)

func TestGalleryPagesCompleteAndDisjoint(t *testing.T) {
	g := newGallery(t, 5000)
	for _, sort := range []string{"newest", "oldest"} {
		t.Run(sort, func(t *testing.T) {
			f := filter{sort: sort}
			got := g.pages(t, g.clients["bo"], f.url(), nil)
			if want := g.want(f, 0, nil); !slices.Equal(got, want) {
				t.Fatalf("paging showed %d images, want all %d once each in order",
					len(got), len(want))
			}
		})
	}
}

func TestGalleryPagesAfterDeletes(t *testing.T) {
	g := newGallery(t, 5000)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	deleted := map[int64]bool{}

	for _, sort := range []string{"newest", "oldest"} {
		t.Run(sort, func(t *testing.T) {
			seen := map[int64]bool{}
			before := func(int) {
				// Delete some images already shown and some not yet shown,
				// including the last tile of the previous page (the cursor).
				for range 30 {
					im := g.images[rng.IntN(len(g.images))]
					if !deleted[im.ID] {
						deleted[im.ID] = true
						if err := g.app.DB.DeleteImage(ctx, im.ID); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			got := g.pages(t, g.clients["cy"], filter{sort: sort}.url(), func(p int) {
				before(p)
			})
			for _, id := range got {
				if seen[id] {
					t.Fatalf("image %d shown twice", id)
				}
				seen[id] = true
			}

			// Every image never deleted was shown; a deleted one only if it
			// was shown before it went.
			for _, im := range g.images {
				if !deleted[im.ID] && !seen[im.ID] {
					t.Fatalf("image %d was skipped", im.ID)
				}
			}
			if len(got) >= len(g.images) {
				t.Fatalf("shown %d of %d images with deletes in between", len(got),
					len(g.images))
			}
		})
	}
}

func TestGallerySearchSyntaxNeverFails(t *testing.T) {
	g := newGallery(t, 500)
	inputs := []string{`"`, `*`, `-`, `OR`, `red OR`, `OR fox`, `"red`, `red"`, `"red fox`,
		`(`, `)`, `(red`, `NEAR`, `NEAR(red fox)`, `prompt:x`, `prompt:red`, `AND`,
		`NOT`, `-red`, `red -fox`, `**`, `*red`, `^red`, `{prompt}: red`, `""`, `" "`,
		`'`, `\`, `+red`, `red:`, `:`, `.`, "%", "red\x00fox", `é`, `🦊`}
	for _, q := range inputs {
		res := g.clients["bo"].Get("/gallery?q=" + url.QueryEscape(q))
		if res.StatusCode != 200 {
			t.Errorf("search %q: status %d", q, res.StatusCode)
			continue
		}
		doc := res.Doc(t)
		tiles := doc.Find(`[data-testid=tile]`).Length()
		empty := doc.Find(`[data-testid=gallery-empty]`).Length()
		if (tiles == 0) == (empty == 0) {
			t.Errorf("search %q: %d tiles and %d empty notes", q, tiles, empty)
		}
	}
}

func TestGallerySearchFindsWhatBruteForceFinds(t *testing.T) {
	g := newGallery(t, 5000)
	for _, q := range []string{"fox", "FOX", "fox*", "fo*", "forest*", `"red fox"`,
		`"golden hour" snow`, "or", "near", "not", "prompt", `red "misty lake"`,
		"cat dragon", "zebra", "lighthouse storm*"} {
		f := filter{q: q}
		got := g.pages(t, g.clients["bo"], f.url(), nil)
		if want := g.want(f, 0, nil); !slices.Equal(got, want) {
			t.Errorf("search %q: %d images, want %d", q, len(got), len(want))
		}
	}
}

func TestGalleryFiltersCombine(t *testing.T) {
	g := newGallery(t, 5000)
	rng := rand.New(rand.NewPCG(9, 9))
	names := []string{"ada", "bo", "cy"}
	days := []string{"", "2025-05-05", "2025-05-12", "2025-05-20", "2025-05-28"}
	choose := func(opts ...string) string { return opts[rng.IntN(len(opts))] }

	// Each member marks some images as favourites through the page.
	favs := map[string]map[int64]bool{}
	for _, name := range names {
		favs[name] = map[int64]bool{}
		for range 40 {
			id := g.images[rng.IntN(len(g.images))].ID
			favs[name][id] = true
			res := g.clients[name].PostForm(imagePath(id)+"/favourite",
				url.Values{"on": {"1"}})
			if res.StatusCode != 303 {
				t.Fatalf("favourite: status %d", res.StatusCode)
			}
		}
	}

	for i := range 60 {
		name := names[rng.IntN(len(names))]
		f := filter{
			q:      choose("", "", "fox", "red*", `"red fox"`, "lake misty"),
			who:    choose("", "everyone", "mine"),
			member: choose("", "", strconv.FormatInt(g.ids[choose(names...)], 10)),
			model:  choose(append([]string{"", ""}, seed.Models...)...),
			ratio:  choose(append([]string{"", ""}, seed.AspectRatios...)...),
			from:   choose(days...),
			to:     choose(days...),
			sort:   choose("newest", "oldest"),
			fav:    i%4 == 0,
		}
		got := g.pages(t, g.clients[name], f.url(), nil)
		if want := g.want(f, g.ids[name], favs[name]); !slices.Equal(got, want) {
			t.Errorf("%s %s: %d images, want %d", name, f.url(), len(got), len(want))
		}
	}
}

func TestFavouriteToggle(t *testing.T) {
	g := newGallery(t, 50)
	bo, id := g.clients["bo"], g.images[7].ID
	favourites := func() []int64 { return g.pages(t, bo, "/gallery?fav=1", nil) }

	bo.PostForm(imagePath(id)+"/favourite", url.Values{"on": {"1"}})
	if got := favourites(); !slices.Equal(got, []int64{id}) {
		t.Fatalf("favourites after marking = %v, want [%d]", got, id)
	}
	if p := bo.Get(imagePath(id)).Doc(t); p.Find(`[data-testid=favourite][aria-pressed=true]`).
		Length() !=
		1 {
		t.Fatal("image page does not show the favourite as pressed")
	}

	// Another member's favourites are their own.
	if got := g.pages(t, g.clients["cy"], "/gallery?fav=1", nil); len(got) != 0 {
		t.Fatalf("cy's favourites = %v, want none", got)
	}

	bo.PostForm(imagePath(id)+"/favourite", url.Values{"on": {"0"}})
	if got := favourites(); len(got) != 0 {
		t.Fatalf("favourites after unmarking = %v, want none", got)
	}
}

func TestGalleryHTMXGetsOnlyTiles(t *testing.T) {
	g := newGallery(t, 100)
	first := g.clients["bo"].Get("/gallery").Doc(t)
	next := first.Find(`a[data-testid=more]`).AttrOr("href", "")
	if next == "" {
		t.Fatal("no load-more link on the first page")
	}
	req := g.clients["bo"]
	res := req.Get(next)
	plain := res.Doc(t).Find(`[data-testid=tile]`).Length()

	hx := getHTMX(t, req, next)
	if hx.StatusCode != 200 || hx.Doc(t).Find("header").Length() != 0 {
		t.Fatalf("htmx page: status %d, want the tiles alone", hx.StatusCode)
	}
	if n := hx.Doc(t).Find(`[data-testid=tile]`).Length(); n != plain || n == 0 {
		t.Fatalf("htmx page has %d tiles, the plain page %d", n, plain)
	}
}
