// Package handlers is Atelier's HTTP side: the pages, the forms they post,
// the image files, and the health endpoints. Handlers are methods on
// Server, one file per page or action; routes.go lists them all.
package handlers

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/sessions"

	"atelier/db"
	"atelier/jobs"
	"atelier/views"
)

// Config is everything the HTTP side depends on.
type Config struct {
	DB           *db.DB
	Runner       *jobs.Runner
	Logger       *slog.Logger
	CookieKeys   [][]byte // pairs of hash and block keys for the session cookie
	ProviderName string   // what /readyz reports as configured
	Metrics      http.Handler

	// ObserveHTTP, when set, receives every request's route pattern,
	// status and duration (for metrics).
	ObserveHTTP func(route string, status int, d time.Duration)
}

// Server holds the dependencies of every handler.
type Server struct {
	db      *db.DB
	runner  *jobs.Runner
	log     *slog.Logger
	store   *sessions.CookieStore
	cfg     Config
	limiter *loginLimiter
	cookies cookieCache
}

// New returns the whole HTTP handler of Atelier.
func New(cfg Config) http.Handler {
	store := sessions.NewCookieStore(cfg.CookieKeys...)
	store.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   30 * 24 * 3600,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
	for _, m := range cfg.Runner.Catalog().Models() {
		views.SetModelName(m.ID, m.Name)
	}
	s := &Server{
		db:      cfg.DB,
		runner:  cfg.Runner,
		log:     cfg.Logger,
		store:   store,
		cfg:     cfg,
		limiter: newLoginLimiter(),
	}
	return s.routes()
}
