package handlers

import (
	"errors"
	"net/http"
	"net/url"
)

// parseForm parses a posted form. A body over the limit gets 413 and any
// other malformed body 400; either way the caller stops.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request) bool {
	err := r.ParseForm()
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		s.fail(w, r, http.StatusRequestEntityTooLarge,
			"That request is too large; keep prompts under 4,000 characters.")
		return false
	}
	s.fail(w, r, http.StatusBadRequest, "That form could not be read: "+err.Error())
	return false
}

func urlEscape(s string) string { return url.QueryEscape(s) }
