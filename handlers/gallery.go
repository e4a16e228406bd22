package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"atelier/db"
	"atelier/views"
)

// galleryPage is how many thumbnails one gallery page holds.
const galleryPage = 48

// dateLayout is how dates travel in URLs and date inputs.
const dateLayout = "2006-01-02"

// galleryForm is the gallery's search and filters as read from the URL.
// Values that do not parse are dropped rather than refused: a shared link
// with a stale filter should still show a gallery.
type galleryForm struct {
	views.GalleryFilters
	after db.Cursor
}

func parseGalleryForm(q url.Values) galleryForm {
	f := galleryForm{after: db.ParseCursor(q.Get("after"))}
	f.Query = q.Get("q")
	f.Who = pick(q.Get("who"), "everyone", "mine")
	f.Sort = pick(q.Get("sort"), "newest", "oldest")
	if id, err := strconv.ParseInt(q.Get("member"), 10, 64); err == nil && id > 0 {
		f.Member = strconv.FormatInt(id, 10)
	}
	f.Model = q.Get("model")
	f.AspectRatio = q.Get("ratio")
	f.From, f.To = validDate(q.Get("from")), validDate(q.Get("to"))
	f.Favourites = q.Get("fav") == "1"
	return f
}

// pick returns v when it is one of the choices, else the first choice.
func pick(v string, choices ...string) string {
	if slices.Contains(choices, v) {
		return v
	}
	return choices[0]
}

func validDate(v string) string {
	if _, err := time.Parse(dateLayout, v); err != nil {
		return ""
	}
	return v
}

// query turns the form into a database query for member me. Dates are
// whole days in the team's time zone; "to" includes its day.
func (f galleryForm) query(memberID int64, loc *time.Location) db.GalleryQuery {
	me := memberID
	q := db.GalleryQuery{Search: f.Query, Model: f.Model, AspectRatio: f.AspectRatio,
		Oldest: f.Sort == "oldest", After: f.after, Limit: galleryPage}
	q.Member, _ = strconv.ParseInt(f.Member, 10, 64)
	if f.Who == "mine" {
		// "Mine" and another member's name together match nothing, as any
		// two filters that exclude each other do.
		if q.Member != 0 && q.Member != me {
			me = -1
		}
		q.Member = me
	}
	if f.Favourites {
		q.FavouriteOf = memberID
	}
	if t, err := time.ParseInLocation(dateLayout, f.From, loc); err == nil {
		q.From = t
	}
	if t, err := time.ParseInLocation(dateLayout, f.To, loc); err == nil {
		q.To = t.AddDate(0, 0, 1)
	}
	return q
}

// values writes the form back as a URL query, leaving out defaults so
// shared links stay short.
func (f galleryForm) values() url.Values {
	v := url.Values{}
	set := func(k, val, def string) {
		if val != def {
			v.Set(k, val)
		}
	}
	set("q", f.Query, "")
	set("who", f.Who, "everyone")
	set("member", f.Member, "")
	set("model", f.Model, "")
	set("ratio", f.AspectRatio, "")
	set("from", f.From, "")
	set("to", f.To, "")
	set("sort", f.Sort, "newest")
	if f.Favourites {
		v.Set("fav", "1")
	}
	return v
}

// filtered reports whether anything narrows the gallery.
func (f galleryForm) filtered() bool {
	v := f.values()
	v.Del("sort")
	return len(v) > 0
}

func (s *Server) getGallery(w http.ResponseWriter, r *http.Request) {
	f := parseGalleryForm(r.URL.Query())
	m := memberOf(r)
	items, next, err := s.db.Gallery(r.Context(), f.query(m.ID, s.location()))
	if err != nil {
		s.serverError(w, r, err)
		return
	}

	p := views.GalleryPage{Filters: f.GalleryFilters, Filtered: f.filtered()}
	for _, im := range items {
		p.Items = append(p.Items, galleryItem(im))
	}
	if !next.IsZero() {
		v := f.values()
		v.Set("after", next.String())
		p.NextURL = "/gallery?" + v.Encode()
	}

	// htmx loading the next page needs only the tiles and the next link.
	if isHTMX(r) {
		s.render(w, r, http.StatusOK, views.GalleryItems(p))
		return
	}
	if err := s.galleryChoices(r, &p); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.Gallery(s.chrome(r, "Gallery", "gallery"), p))
}

// galleryChoices fills the filter selects: members, models and shapes.
// Models come from the catalog rather than a scan of every image.
func (s *Server) galleryChoices(r *http.Request, p *views.GalleryPage) error {
	members, err := s.db.Members(r.Context())
	if err != nil {
		return err
	}
	for _, m := range members {
		p.Members = append(p.Members, views.Option{Value: strconv.FormatInt(m.ID, 10),
			Label: m.Name})
	}
	for _, m := range s.runner.Models() {
		p.Models = append(p.Models, views.Option{Value: m.ID, Label: m.Name})
		for _, ar := range m.AspectRatios {
			if !slices.Contains(p.Ratios, ar) {
				p.Ratios = append(p.Ratios, ar)
			}
		}
	}
	return nil
}

func galleryItem(im db.Image) views.GalleryItem {
	return views.GalleryItem{ID: im.ID, SHA256: im.SHA256, Prompt: im.Prompt,
		Author: im.Author, Model: im.Model, Width: im.Width, Height: im.Height,
		CreatedAt: im.CreatedAt}
}

// location is the team's time zone, in which days and months begin.
func (s *Server) location() *time.Location {
	if loc := s.runner.Budgets().Location; loc != nil {
		return loc
	}
	return time.UTC
}
