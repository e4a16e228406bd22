package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"atelier/db"
	"atelier/views"
)

// galleryPage is how many thumbnails one gallery page holds.
const galleryPage = 48

func (s *Server) getGallery(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	items, more, err := s.db.Gallery(r.Context(), db.GalleryQuery{After: max(after, 0),
		Limit: galleryPage})
	if err != nil {
		s.serverError(w, r, err)
		return
	}

	p := views.GalleryPage{Query: q.Get("q"), Filtered: q.Get("q") != ""}
	for _, im := range items {
		p.Items = append(p.Items, galleryItem(im))
	}
	if more {
		p.NextURL = fmt.Sprintf("/gallery?after=%d", items[len(items)-1].ID)
	}
	s.render(w, r, http.StatusOK, views.Gallery(s.chrome(r, "Gallery", "gallery"), p))
}

func galleryItem(im db.Image) views.GalleryItem {
	return views.GalleryItem{ID: im.ID, SHA256: im.SHA256, Prompt: im.Prompt,
		Author: im.Author, Model: im.Model, Width: im.Width, Height: im.Height,
		CreatedAt: im.CreatedAt}
}
