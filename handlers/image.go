package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"atelier/db"
	"atelier/views"
)

// imageFromPath loads the image named in the path; a bad or unknown id is
// a 404.
func (s *Server) imageFromPath(w http.ResponseWriter, r *http.Request) (db.Image, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, http.StatusNotFound, "There is no such image.")
		return db.Image{}, false
	}
	im, err := s.db.Image(r.Context(), id)
	if errors.Is(err, db.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "There is no such image; it may have been deleted.")
		return im, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return im, false
	}
	return im, true
}

func (s *Server) getImage(w http.ResponseWriter, r *http.Request) {
	im, ok := s.imageFromPath(w, r)
	if !ok {
		return
	}
	j, err := s.db.Job(r.Context(), im.JobID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	m := memberOf(r)
	fav, err := s.db.IsFavourite(r.Context(), m.ID, im.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := views.ImageView{ID: im.ID, JobID: im.JobID, SHA256: im.SHA256, Prompt: im.Prompt,
		RewrittenPrompt: im.RewrittenPrompt, Model: im.Model, AspectRatio: im.AspectRatio,
		Size: im.Size, Seed: im.Seed, MIME: im.MIME, Width: im.Width, Height: im.Height,
		Author: im.Author, CreatedAt: im.CreatedAt, Tokens: j.SpentTokens,
		Micros: j.SpentMicros, Images: len(j.Images), CanDelete: m.Admin || m.ID == im.MemberID,
		Favourite: fav, DownloadName: downloadName(im)}
	s.render(w, r, http.StatusOK, views.ImagePage(s.chrome(r, "Image", "gallery"), v))
}

// postDeleteImage deletes an image for its author or an admin.
func (s *Server) postDeleteImage(w http.ResponseWriter, r *http.Request) {
	im, ok := s.imageFromPath(w, r)
	if !ok {
		return
	}
	m := memberOf(r)
	if !m.Admin && m.ID != im.MemberID {
		s.fail(w, r, http.StatusForbidden, "Only the image's author or an admin may delete it.")
		return
	}
	if err := s.db.DeleteImage(r.Context(), im.ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("image deleted", "image", im.ID, "member", m.ID, "author", im.MemberID)
	http.Redirect(w, r, "/gallery", http.StatusSeeOther)
}

// getImageFile serves an image or its thumbnail. The URL holds the
// content hash, so the answer never changes and may be cached for good.
func (s *Server) getImageFile(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	kind, prefix := r.PathValue("kind"), r.PathValue("sha")
	if err != nil || id <= 0 || (kind != "image" && kind != "thumb.jpg") || len(prefix) < 16 {
		http.NotFound(w, r)
		return
	}
	data, mime, sha, err := s.db.ImageData(r.Context(), id, kind == "thumb.jpg")
	if errors.Is(err, db.ErrNotFound) || (err == nil && !strings.HasPrefix(sha, prefix)) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}

	etag := `"` + sha[:32] + "-" + kind + `"`
	h := w.Header()
	if mime == "image/jpeg" {
		h["Content-Type"] = contentTypeJPG
	} else {
		h.Set("Content-Type", mime)
	}
	h["Cache-Control"] = immutable
	h.Set("ETag", etag)
	h["Content-Security-Policy"] = cspFile
	if r.URL.Query().Get("download") == "1" {
		im, err := s.db.Image(r.Context(), id)
		if err == nil {
			h.Set("Content-Disposition", `attachment; filename="`+downloadName(im)+`"`)
		}
	}
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// etagMatch reports whether an If-None-Match header names etag. The
// header may list several tags, weak ones included (a weak match is
// enough for a GET), or be "*".
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// downloadName derives a safe file name from an image's prompt.
func downloadName(im db.Image) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(im.Prompt) {
		ok := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == "" {
		name = "image"
	}
	ext := ".png"
	switch im.MIME {
	case "image/jpeg":
		ext = ".jpg"
	case "image/webp":
		ext = ".webp"
	}
	return "atelier-" + strconv.FormatInt(im.ID, 10) + "-" + name + ext
}
