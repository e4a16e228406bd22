package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"atelier/db"
	"atelier/views"
)

// maxKeyName bounds an API key's name, a label for the member only.
const maxKeyName = 64

// getSettings shows the settings page; ?password=changed confirms a
// password change that redirected here.
func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	s.renderSettings(w, r, http.StatusOK, views.SettingsPage{
		PasswordSaved: r.URL.Query().Get("password") == "changed"})
}

// renderSettings shows the settings page with the member's keys.
func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, status int,
	p views.SettingsPage) {
	keys, err := s.db.APIKeys(r.Context(), memberOf(r).ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	p.Keys = keys
	s.render(w, r, status, views.Settings(s.chrome(r, "Settings", "settings"), p))
}

// postCreateKey makes a key and shows it once, in this answer only: a
// redirect would have to carry it in a URL or a cookie.
func (s *Server) postCreateKey(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if msg := keyNameProblem(name); msg != "" {
		s.renderSettings(w, r, http.StatusUnprocessableEntity, views.SettingsPage{
			Name: name, Errors: views.Errors{"name": msg}})
		return
	}

	m := memberOf(r)
	k, plain, err := s.db.CreateAPIKey(r.Context(), m.ID, name)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("api key created", "member", m.ID, "key", k.ID, "prefix", k.Prefix)
	w.Header().Set("Cache-Control", "no-store")
	s.renderSettings(w, r, http.StatusOK, views.SettingsPage{NewKey: plain, NewName: k.Name})
}

// keyNameProblem says what is wrong with a key's name, or "".
func keyNameProblem(name string) string {
	switch {
	case name == "":
		return "Give the key a name, such as the script that will use it."
	case !utf8.ValidString(name) || strings.ContainsFunc(name, isPromptControl):
		return "The name contains characters that cannot be shown; remove them."
	case utf8.RuneCountInString(name) > maxKeyName:
		return "Keep the name under 64 characters."
	}
	return ""
}

// postRevokeKey revokes one of the member's own keys at once.
func (s *Server) postRevokeKey(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	m := memberOf(r)
	if err == nil {
		err = s.db.RevokeAPIKey(r.Context(), m.ID, id)
	}
	var numErr *strconv.NumError
	if err != nil && (errors.Is(err, db.ErrNotFound) || errors.As(err, &numErr) || id <= 0) {
		s.fail(w, r, http.StatusNotFound, "There is no such key, or it was already revoked.")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("api key revoked", "member", m.ID, "key", id)
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
}
