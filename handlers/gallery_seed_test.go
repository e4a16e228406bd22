package handlers_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"atelier/internal/seed"
	"atelier/internal/testapp"
)

// password is every test member's password.
const password = "correct horse battery"

// seedNow is the newest creation time of seeded images.
var seedNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// gallery is an app with three members (ada is an admin) signed in, and
// n seeded images spread over them and over the 30 days before seedNow.
type gallery struct {
	app     *testapp.App
	ids     map[string]int64
	clients map[string]*testapp.Client
	images  []seed.Image
}

func newGallery(t *testing.T, n int) *gallery {
	t.Helper()
	g := &gallery{app: testapp.New(t, testapp.Options{}), ids: map[string]int64{},
		clients: map[string]*testapp.Client{}}
	var ids []int64
	for _, name := range []string{"ada", "bo", "cy"} {
		m := g.app.AddMember(t, name, password, name == "ada")
		g.ids[name] = m.ID
		ids = append(ids, m.ID)
		g.clients[name] = g.app.Login(t, name, password)
	}
	imgs, err := seed.Images(context.Background(), g.app.DB.Path, seed.Options{
		Members: ids, Images: n, Seed: 42, Now: seedNow, Span: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	g.images = imgs
	return g
}

// pages follows the gallery's "load more" links from path and returns
// the ids of the tiles in the order shown. before runs ahead of every
// page after the first.
func (g *gallery) pages(t *testing.T, c *testapp.Client, path string, before func(int)) []int64 {
	t.Helper()
	var ids []int64
	for page := 0; path != ""; page++ {
		if page > 0 && before != nil {
			before(page)
		}
		res := c.Get(path)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: status %d: %.300s", path, res.StatusCode, res.Body)
		}
		doc := res.Doc(t)
		for _, v := range doc.Find(`[data-testid=tile]`).EachIter() {
			id, _ := strconv.ParseInt(v.AttrOr("data-id", ""), 10, 64)
			ids = append(ids, id)
		}
		path = doc.Find(`a[data-testid=more]`).AttrOr("href", "")
		if page > 1000 {
			t.Fatal("more than 1000 pages")
		}
	}
	return ids
}

// filter is one combination of gallery filters, applied both through the
// URL and by brute force over the seeded images.
type filter struct {
	q, who, member, model, ratio, from, to, sort string
	fav                                          bool
}

func (f filter) url() string {
	v := url.Values{}
	for k, val := range map[string]string{"q": f.q, "who": f.who, "member": f.member,
		"model": f.model, "ratio": f.ratio, "from": f.from, "to": f.to, "sort": f.sort} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if f.fav {
		v.Set("fav", "1")
	}
	return "/gallery?" + v.Encode()
}

// want is what the gallery should show member me for f, in order.
func (g *gallery) want(f filter, me int64, favs map[int64]bool) []int64 {
	var sel []seed.Image
	for _, im := range g.images {
		if f.keeps(im, me, favs) {
			sel = append(sel, im)
		}
	}
	slices.SortFunc(sel, func(a, b seed.Image) int {
		c := a.CreatedAt.Compare(b.CreatedAt)
		if c == 0 {
			c = int(a.ID - b.ID)
		}
		if f.sort == "oldest" {
			return c
		}
		return -c
	})
	out := []int64{}
	for _, im := range sel {
		out = append(out, im.ID)
	}
	return out
}

func (f filter) keeps(im seed.Image, me int64, favs map[int64]bool) bool {
	day := im.CreatedAt.UTC().Format("2006-01-02")
	switch {
	case f.who == "mine" && im.MemberID != me,
		f.member != "" && f.member != strconv.FormatInt(im.MemberID, 10),
		f.model != "" && im.Model != f.model,
		f.ratio != "" && im.AspectRatio != f.ratio,
		f.from != "" && day < f.from,
		f.to != "" && day > f.to,
		f.fav && !favs[im.ID]:
		return false
	}
	return matches(f.q, im.Prompt)
}

// matches is a brute-force reading of the searches the tests use: plain
// words, word* prefixes and "quoted phrases", all of which must match.
func matches(q, prompt string) bool {
	words := strings.Fields(strings.ToLower(prompt))
	for _, term := range searchTerms(q) {
		if !hasTerm(words, term) {
			return false
		}
	}
	return true
}

func searchTerms(q string) []string {
	var out []string
	for i, part := range strings.Split(q, `"`) {
		if i%2 == 1 {
			out = append(out, `"`+part)
			continue
		}
		out = append(out, strings.Fields(part)...)
	}
	return out
}

func hasTerm(words []string, term string) bool {
	term = strings.ToLower(term)
	switch {
	case strings.HasPrefix(term, `"`):
		phrase := strings.Fields(term[1:])
		for i := 0; i+len(phrase) <= len(words); i++ {
			if slices.Equal(words[i:i+len(phrase)], phrase) {
				return true
			}
		}
		return false
	case strings.HasSuffix(term, "*"):
		return slices.ContainsFunc(words, func(w string) bool {
			return strings.HasPrefix(w, strings.TrimSuffix(term, "*"))
		})
	}
	return slices.Contains(words, term)
}

// exec runs SQL on the app's database file through a connection of the
// test's own, for setting up rows no handler writes.
func (g *gallery) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+g.app.DB.Path+
		"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// imagePath is an image page's path.
func imagePath(id int64) string { return fmt.Sprintf("/images/%d", id) }

// getHTMX fetches a path the way htmx does.
func getHTMX(t *testing.T, c *testapp.Client, path string) testapp.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.App.URL+path, nil)
	req.Header.Set("HX-Request", "true")
	return c.Do(req)
}
