package handlers

import (
	"net/http"

	"atelier/static"
)

// routes lists every route. Pages that need a member are wrapped in
// s.member, admin pages in s.admin; everything passes the outer
// middleware (logging, recovery, security headers, cross-origin checks).
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()

	// Open to anyone.
	mux.Handle("GET /static/", static.Handler())
	mux.HandleFunc("GET /healthz", s.getHealthz)
	mux.HandleFunc("GET /readyz", s.getReadyz)
	if s.cfg.Metrics != nil {
		mux.Handle("GET /metrics", s.cfg.Metrics)
	}
	mux.HandleFunc("GET /setup", s.getSetup)
	mux.HandleFunc("POST /setup", s.postSetup)
	mux.HandleFunc("GET /login", s.getLogin)
	mux.HandleFunc("POST /login", s.postLogin)
	mux.HandleFunc("POST /logout", s.postLogout)

	// Members.
	mux.Handle("GET /{$}", s.member(s.getStudio))
	mux.Handle("POST /jobs", s.member(s.postJob))
	mux.Handle("GET /jobs/{id}", s.member(s.getJob))
	mux.Handle("GET /jobs/{id}/card", s.member(s.getJobCard))
	mux.Handle("POST /jobs/{id}/cancel", s.member(s.postCancelJob))
	mux.Handle("GET /quota", s.member(s.getQuota))
	mux.Handle("GET /gallery", s.member(s.getGallery))
	mux.Handle("GET /images/{id}", s.member(s.getImage))
	mux.Handle("POST /images/{id}/delete", s.member(s.postDeleteImage))
	mux.Handle("GET /files/{id}/{sha}/{kind}", s.member(s.getImageFile))
	mux.Handle("GET /usage", s.member(s.getUsage))

	// Gallery favourites and the ledger export (gallery and usage pages).
	mux.Handle("POST /images/{id}/favourite", s.member(s.postFavourite))
	mux.Handle("GET /usage/export.csv", s.member(s.getUsageExport))
	// End of gallery and usage routes.

	// Admins.
	mux.Handle("GET /admin", s.admin(s.getAdmin))
	mux.Handle("POST /admin/limits", s.admin(s.postLimits))
	mux.Handle("POST /admin/members", s.admin(s.postAddMember))
	mux.Handle("POST /admin/members/{id}", s.admin(s.postUpdateMember))

	// --- Scripts: API keys, the JSON API, the Gemini protocol (begin) ---
	// The settings page is a browser page; the rest authenticate with a
	// member's API key, not the cookie (see api.go).
	mux.Handle("GET /settings", s.member(s.getSettings))
	mux.Handle("POST /settings/keys", s.member(s.postCreateKey))
	mux.Handle("POST /settings/keys/{id}/revoke", s.member(s.postRevokeKey))
	api := func(h http.HandlerFunc) http.Handler { return s.keyed(false, apiUnauthorized, h) }
	mux.Handle("POST /api/v1/generations", api(s.postGeneration))
	mux.Handle("GET /api/v1/generations/{id}", api(s.getGeneration))
	mux.Handle("POST /api/v1/generations/{id}/cancel", api(s.cancelGeneration))
	mux.Handle("DELETE /api/v1/generations/{id}", api(s.cancelGeneration))
	mux.Handle("GET /api/v1/models", api(s.getAPIModels))
	mux.Handle("GET /api/v1/images", api(s.getAPIImages))
	mux.Handle("GET /api/v1/images/{id}", api(s.getAPIImage))
	mux.Handle("GET /api/v1/images/{id}/content", api(s.getAPIImageContent))
	mux.Handle("GET /api/v1/quota", api(s.getAPIQuota))
	for _, pattern := range geminiRoutes {
		mux.Handle(pattern, s.keyed(true, googleUnauthenticated, s.postGeminiCall))
	}
	// --- Scripts (end) ---

	// --- Passwords (begin) ---
	// A member changes their own on the settings page; an admin resets
	// another member's from the admin page.
	mux.Handle("POST /settings/password", s.member(s.postChangePassword))
	mux.Handle("POST /admin/members/{id}/password", s.admin(s.postResetPassword))
	// --- Passwords (end) ---

	return s.logRequests(mux, s.recoverPanics(securityHeaders(
		limitBody(crossOrigin(notePattern(mux))))))
}
