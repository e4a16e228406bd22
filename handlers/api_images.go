package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"atelier/db"
)

// maxAPIPage bounds one page of GET /api/v1/images.
const maxAPIPage = 100

// imagePage is one page of the image list. NextCursor, when set, is
// passed back as ?cursor= for the following page.
type imagePage struct {
	Images     []imageJSON `json:"images"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

// getAPIImages lists images newest first, a page at a time, with the
// gallery's keyset cursor, so deletions between pages skip and repeat
// nothing. The gallery's filters apply: q (search), model, aspect_ratio,
// member=me or member=ID, favourites=1, order=oldest.
func (s *Server) getAPIImages(w http.ResponseWriter, r *http.Request) {
	gq, fields := apiGalleryQuery(r)
	if len(fields) > 0 {
		apiFail(w, http.StatusUnprocessableEntity, apiError{Code: "invalid",
			Message: "Some query parameters are not valid; see fields.", Fields: fields})
		return
	}

	items, next, err := s.db.Gallery(r.Context(), gq)
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	p := imagePage{Images: make([]imageJSON, 0, len(items)), NextCursor: next.String()}
	for _, im := range items {
		p.Images = append(p.Images, imageRecordJSON(im))
	}
	writeJSON(w, http.StatusOK, p)
}

// apiGalleryQuery reads the list's query parameters, with a message per
// parameter that is not valid. Unknown parameters are ignored.
func apiGalleryQuery(r *http.Request) (db.GalleryQuery, map[string]string) {
	q := r.URL.Query()
	me := memberOf(r).ID
	gq := db.GalleryQuery{Limit: 48, Search: q.Get("q"), Model: q.Get("model"),
		AspectRatio: q.Get("aspect_ratio"), Oldest: q.Get("order") == "oldest"}
	fields := map[string]string{}
	if c := q.Get("cursor"); c != "" {
		if gq.After = db.ParseCursor(c); gq.After.IsZero() {
			fields["cursor"] = "Pass back the next_cursor of the previous page."
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxAPIPage {
			fields["limit"] = "Ask for 1 to 100 images a page."
		}
		gq.Limit = n
	}
	switch v := q.Get("member"); v {
	case "":
	case "me":
		gq.Member = me
	default:
		// A member's id, as the gallery's member filter and the admin
		// page's links carry it; an id nobody has matches nothing.
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			fields["member"] = `Filter by "me" or a member's id, or leave it out ` +
				`for the whole team.`
		}
		gq.Member = id
	}
	if q.Get("favourites") == "1" {
		gq.FavouriteOf = me
	}
	return gq, fields
}

// apiImageID reads the image id in the path; a bad one is a 404.
func apiImageID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		apiNotFound(w, "image")
		return 0, false
	}
	return id, true
}

// getAPIImage returns one image's record. Images are the team's, as in
// the gallery.
func (s *Server) getAPIImage(w http.ResponseWriter, r *http.Request) {
	id, ok := apiImageID(w, r)
	if !ok {
		return
	}
	im, err := s.db.Image(r.Context(), id)
	if errors.Is(err, db.ErrNotFound) {
		apiNotFound(w, "image")
		return
	}
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, imageRecordJSON(im))
}

// getAPIImageContent returns an image's bytes, or with thumb=1 its JPEG
// thumbnail.
func (s *Server) getAPIImageContent(w http.ResponseWriter, r *http.Request) {
	id, ok := apiImageID(w, r)
	if !ok {
		return
	}
	thumb := r.URL.Query().Get("thumb") == "1"
	data, mime, sha, err := s.db.ImageData(r.Context(), id, thumb)
	if errors.Is(err, db.ErrNotFound) {
		apiNotFound(w, "image")
		return
	}
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", mime)
	etag := `"` + sha[:min(32, len(sha))] + thumbSuffix(thumb) + `"`
	h.Set("ETag", etag)
	// The URL names the image by id, and a deleted image's id can come
	// back for a new one, so clients revalidate (cheaply, by ETag)
	// rather than keep the bytes for good as they may for /files URLs.
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

func thumbSuffix(thumb bool) string {
	if thumb {
		return "-thumb"
	}
	return ""
}
