package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"atelier/db"
)

// postFavourite marks or unmarks an image as one of the member's
// favourites. It is a plain form post answered with a redirect back to
// the image, so it works without script.
func (s *Server) postFavourite(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	im, ok := s.imageFromPath(w, r)
	if !ok {
		return
	}
	on := r.PostFormValue("on") == "1"
	err := s.db.SetFavourite(r.Context(), memberOf(r).ID, im.ID, on)
	if errors.Is(err, db.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "There is no such image; it may have been deleted.")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/images/%d", im.ID), http.StatusSeeOther)
}
