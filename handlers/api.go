package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"atelier/auth"
	"atelier/db"
)

// The JSON API and the Gemini-protocol endpoint are for scripts, not
// browsers: they authenticate with a member's personal API key on every
// request and never read the session cookie, so cross-site request
// forgery has nothing to ride on. The cross-origin check still wraps them
// and lets them through, because scripts send neither Sec-Fetch-Site nor
// Origin.

// touchEvery is how stale a key's "last used" may get before a request
// writes it again.
const touchEvery = time.Minute

// requestKey returns the API key a request carries: a Bearer token, or
// (as Google's clients send it) an x-goog-api-key header or key= query.
func requestKey(r *http.Request, google bool) string {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(tok)
	}
	if !google {
		return ""
	}
	if k := r.Header.Get("x-goog-api-key"); k != "" {
		return strings.TrimSpace(k)
	}
	return r.URL.Query().Get("key")
}

// keyed wraps a handler that needs a member's API key. The member and the
// key's session go into the context as s.member puts them, so memberOf
// and sessionOf work the same; deny answers a missing or refused key in
// the caller's protocol.
func (s *Server) keyed(google bool, deny func(http.ResponseWriter, string),
	h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := requestKey(r, google)
		if key == "" {
			deny(w, "This request needs a personal API key; create one on "+
				"Atelier's settings page.")
			return
		}
		k, m, ds, err := s.db.APIKeyByHash(r.Context(), auth.HashToken(key))
		if err != nil {
			if !errors.Is(err, db.ErrNotFound) {
				s.log.Error("look up api key", "err", err)
			}
			deny(w, "The API key is not valid: it may have been revoked, "+
				"or its member disabled.")
			return
		}

		// Record use, at most once a minute per key.
		if time.Since(k.LastUsedAt) > touchEvery {
			if err := s.db.TouchAPIKey(r.Context(), k.ID); err != nil {
				s.log.Warn("touch api key", "key", k.ID, "err", err)
			}
		}
		if info, ok := r.Context().Value(logInfoKey).(*logInfo); ok {
			info.member = m.ID
		}
		ctx := context.WithValue(r.Context(), memberKey, &m)
		ctx = context.WithValue(ctx, sessionKey, &ds)
		h(w, r.WithContext(ctx))
	})
}

// apiError is the JSON API's error body, inside {"error": …}. Code is
// stable for scripts to switch on; the rest is for people.
type apiError struct {
	Code     string            `json:"code"`
	Message  string            `json:"message"`
	Budget   string            `json:"budget,omitempty"`
	ResetsAt *time.Time        `json:"resets_at,omitempty"`
	Fields   map[string]string `json:"fields,omitempty"`
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// apiFail answers a JSON API error.
func apiFail(w http.ResponseWriter, status int, e apiError) {
	writeJSON(w, status, map[string]apiError{"error": e})
}

// apiUnauthorized answers a missing or refused key on the JSON API.
func apiUnauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="atelier"`)
	apiFail(w, http.StatusUnauthorized, apiError{Code: "unauthorized", Message: msg})
}

// apiNotFound answers a 404 on the JSON API.
func apiNotFound(w http.ResponseWriter, what string) {
	apiFail(w, http.StatusNotFound, apiError{Code: "not_found",
		Message: "There is no such " + what + "."})
}

// apiServerError logs an unexpected error and answers a bare 500.
func (s *Server) apiServerError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("api request failed", "method", r.Method, "path", r.URL.Path,
		"member", memberOf(r).ID, "err", err)
	apiFail(w, http.StatusInternalServerError, apiError{Code: "internal",
		Message: "Something went wrong on our side; it has been logged."})
}
