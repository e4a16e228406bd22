package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"sync"
	"time"

	"atelier/auth"
	"atelier/db"
)

// maxBody bounds every request body; a prompt form is a few KB.
const maxBody = 256 << 10

// cookieName is the session cookie's name.
const cookieName = "atelier"

type ctxKey int

const (
	memberKey ctxKey = iota
	sessionKey
	logInfoKey
)

// logInfo lets inner handlers tell the request log who the member was,
// and the mux which route pattern matched.
type logInfo struct {
	member  int64
	pattern string
}

// The values of the headers every response carries. They are assigned to
// each response's header map as they are, not copied: nothing appends to
// or edits a header value in place (Set replaces the slice, Add on a full
// slice copies it).
var (
	cspPage = []string{"default-src 'self'; script-src 'self'; " +
		"style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"}
	noSniff        = []string{"nosniff"}
	sameOrigin     = []string{"same-origin"}
	denyFraming    = []string{"DENY"}
	cspFile        = []string{"default-src 'none'; sandbox"}
	immutable      = []string{"private, max-age=31536000, immutable"}
	contentTypeJPG = []string{"image/jpeg"}
)

// securityHeaders sets the headers every response carries. Scripts and
// styles come only from Atelier itself, with no inline code.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Security-Policy"] = cspPage
		h["X-Content-Type-Options"] = noSniff
		h["Referrer-Policy"] = sameOrigin
		h["X-Frame-Options"] = denyFraming
		next.ServeHTTP(w, r)
	})
}

// limitBody bounds request bodies to maxBody, as http.MaxBytesHandler
// does, without copying the request when it has no body (most GETs).
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r2 := *r
			r2.Body = http.MaxBytesReader(w, r.Body, maxBody)
			r = &r2
		}
		next.ServeHTTP(w, r)
	})
}

// notePattern serves r through mux and tells the request log which
// pattern matched, which the mux records on the request it was given.
func notePattern(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if info, ok := r.Context().Value(logInfoKey).(*logInfo); ok {
				info.pattern = r.Pattern
			}
		}()
		mux.ServeHTTP(w, r)
	})
}

// crossOrigin refuses cross-origin form posts, using the browser's
// Sec-Fetch-Site and Origin headers.
func crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
	}))
	return cop.Handler(next)
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one line per request: method, route pattern, status,
// duration and member. Polling and static files log at debug level.
func (s *Server) logRequests(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		info := &logInfo{}
		r = r.WithContext(context.WithValue(r.Context(), logInfoKey, info))
		next.ServeHTTP(sw, r)

		level := slog.LevelInfo
		if r.Method == http.MethodGet && sw.status < 400 {
			level = slog.LevelDebug
		}
		if sw.status >= 500 {
			level = slog.LevelError
		}
		took := time.Since(start)
		if info.pattern == "" {
			// The mux was not reached (a refused cross-origin post) or
			// matched nothing.
			_, info.pattern = mux.Handler(r)
		}
		if s.log.Enabled(r.Context(), level) {
			s.log.Log(r.Context(), level, "http request", "method", r.Method,
				"route", info.pattern, "path", r.URL.Path, "status", sw.status,
				"duration_ms", took.Milliseconds(), "member", info.member)
		}
		if s.cfg.ObserveHTTP != nil {
			s.cfg.ObserveHTTP(info.pattern, sw.status, took)
		}
	})
}

// recoverPanics turns a panic into a 500 and a logged stack.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "path", r.URL.Path, "panic", fmt.Sprint(v),
					"stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// currentSession finds the signed-in member from the session cookie.
func (s *Server) currentSession(r *http.Request) (db.Session, db.Member, bool) {
	tok := s.sessionToken(r)
	if tok == "" {
		return db.Session{}, db.Member{}, false
	}
	ds, m, err := s.db.ActiveSession(r.Context(), auth.HashToken(tok))
	if err != nil {
		return ds, m, false
	}
	return ds, m, true
}

// member wraps a handler that needs a signed-in member. Anyone else is sent
// to sign in (to setup on a fresh install); htmx requests get a redirect
// header instead so the whole page moves.
func (s *Server) member(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ds, m, ok := s.currentSession(r)
		if !ok {
			s.toLogin(w, r)
			return
		}
		if info, ok := r.Context().Value(logInfoKey).(*logInfo); ok {
			info.member = m.ID
		}
		ctx := context.WithValue(r.Context(), memberKey, &m)
		ctx = context.WithValue(ctx, sessionKey, &ds)
		h(w, r.WithContext(ctx))
	})
}

// admin wraps a handler only admins may use; other members get 403.
func (s *Server) admin(h http.HandlerFunc) http.Handler {
	return s.member(func(w http.ResponseWriter, r *http.Request) {
		if !memberOf(r).Admin {
			s.fail(w, r, http.StatusForbidden, "Only admins may open this page.")
			return
		}
		h(w, r)
	})
}

func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	target := "/login"
	if n, err := s.db.CountMembers(r.Context()); err == nil && n == 0 {
		target = "/setup"
	} else if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// memberOf returns the signed-in member of a request inside s.member.
func memberOf(r *http.Request) *db.Member {
	m, _ := r.Context().Value(memberKey).(*db.Member)
	return m
}

// sessionOf returns the session of a request inside s.member.
func sessionOf(r *http.Request) *db.Session {
	ds, _ := r.Context().Value(sessionKey).(*db.Session)
	return ds
}

// sessionToken reads the session token from the signed cookie. Checking
// and decoding the cookie costs more than the rest of a thumbnail
// request, so the token of each cookie value already verified is
// remembered; a value can only map to the token it was verified to hold,
// and whether that session is still open is asked of the database layer
// every time.
func (s *Server) sessionToken(r *http.Request) string {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return ""
	}
	if tok, ok := s.cookies.get(c.Value); ok {
		return tok
	}
	sess, _ := s.store.Get(r, cookieName)
	tok, _ := sess.Values["tok"].(string)
	if tok != "" {
		s.cookies.put(c.Value, tok)
	}
	return tok
}

// cookieCache maps verified cookie values to the tokens they hold, for
// a few minutes: the cookie's own age limit is checked again after that.
type cookieCache struct {
	mu sync.Mutex
	m  map[string]cookieEntry
}

type cookieEntry struct {
	tok string
	at  time.Time
}

const (
	maxCookies = 10_000
	cookieTTL  = 5 * time.Minute
)

func (c *cookieCache) get(value string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[value]
	if !ok || time.Since(e.at) > cookieTTL {
		return "", false
	}
	return e.tok, true
}

func (c *cookieCache) put(value, tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCookies {
		c.m = map[string]cookieEntry{}
	}
	c.m[value] = cookieEntry{tok: tok, at: time.Now()}
}
