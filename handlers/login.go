package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"atelier/auth"
	"atelier/db"
	"atelier/views"
)

// credentials is the sign-in and setup form.
type credentials struct {
	Name     string
	Password string
	Next     string
}

func parseCredentials(r *http.Request) credentials {
	return credentials{
		Name:     strings.TrimSpace(r.PostFormValue("name")),
		Password: r.PostFormValue("password"),
		Next:     r.PostFormValue("next"),
	}
}

// validateNew checks a name and password for a new member.
func (c credentials) validateNew() views.Errors {
	errs := views.Errors{}
	switch {
	case c.Name == "":
		errs["name"] = "Enter a name."
	case !utf8.ValidString(c.Name) || utf8.RuneCountInString(c.Name) > 64:
		errs["name"] = "Use at most 64 characters."
	case strings.ContainsFunc(c.Name, isControl):
		errs["name"] = "Names cannot contain control characters."
	case strings.ContainsFunc(c.Name, isInvisible):
		errs["name"] = "Names cannot contain invisible formatting characters " +
			"(such as direction overrides), which could make one name look like another."
	case strings.ContainsFunc(c.Name, notNameRune):
		errs["name"] = "Use letters, digits, spaces and . _ - ' only."
	}
	if utf8.RuneCountInString(c.Password) < 10 {
		errs["password"] = "Use at least 10 characters."
	} else if len(c.Password) > 1024 {
		errs["password"] = "Use at most 1024 bytes."
	}
	return errs
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// notNameRune reports characters a member's name may not hold: names
// show in headers, logs and CSV exports, so they stay plain.
func notNameRune(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) &&
		!strings.ContainsRune(" ._-'", r)
}

// isInvisible reports Unicode format characters: bidirectional overrides,
// zero-width joiners and the like.
func isInvisible(r rune) bool { return unicode.Is(unicode.Cf, r) }

// safeNext keeps a post-login redirect on this site.
//
// Browsers drop tabs and newlines from URLs and read a backslash as a
// slash, so "/\t/evil.example" would leave the site: any control
// character, space or backslash makes the target "/", as does anything
// that parses with a scheme or host.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool {
			return r <= ' ' || r == 0x7f || r == '\\' || unicode.IsSpace(r)
		}) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

func (s *Server) getSetup(w http.ResponseWriter, r *http.Request) {
	if n, err := s.db.CountMembers(r.Context()); err != nil || n > 0 {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, views.Setup(views.CredentialsForm{}))
}

// postSetup creates the first admin, only while no member exists.
func (s *Server) postSetup(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	c := parseCredentials(r)
	if errs := c.validateNew(); len(errs) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity,
			views.Setup(views.CredentialsForm{Name: c.Name, Errors: errs}))
		return
	}

	hash, err := auth.HashPassword(c.Password)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	m, err := s.db.CreateMember(r.Context(), c.Name, hash, true, true)
	if errors.Is(err, db.ErrConflict) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("first admin created", "member", m.ID)
	s.signIn(w, r, m, "/")
}

func (s *Server) getLogin(w http.ResponseWriter, r *http.Request) {
	if n, err := s.db.CountMembers(r.Context()); err == nil && n == 0 {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, views.Login(views.CredentialsForm{}, r.URL.Query().Get("next")))
}

// postLogin checks a password, throttled per name and per client address.
func (s *Server) postLogin(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	c := parseCredentials(r)
	form := views.CredentialsForm{Name: c.Name, Errors: views.Errors{}}

	keys := []string{"name:" + strings.ToLower(c.Name), "addr:" + clientAddr(r)}
	// The attempt counts as a failure before the password is checked, in
	// the same step as the lock check, so parallel guesses cannot all
	// pass the check before any of them is counted.
	if wait := s.limiter.attempt(keys...); wait > 0 {
		form.Errors[""] = "Too many failed sign-ins. Try again in " + humanWait(wait) + "."
		w.Header().Set("Retry-After", retryAfterSeconds(wait))
		s.render(w, r, http.StatusTooManyRequests, views.Login(form, c.Next))
		return
	}

	m, err := s.db.MemberByName(r.Context(), c.Name)
	if err == nil {
		err = auth.CheckPassword(m.PasswordHash, c.Password)
	} else if errors.Is(err, db.ErrNotFound) {
		// Spend the same time as a real check so names cannot be probed.
		auth.CheckPassword(dummyHash(), c.Password)
	}
	if err != nil {
		if !errors.Is(err, auth.ErrMismatch) && !errors.Is(err, db.ErrNotFound) {
			s.serverError(w, r, err)
			return
		}
		s.log.Info("sign-in failed", "name_len", len(c.Name), "addr", clientAddr(r))
		form.Errors[""] = "That name and password do not match."
		s.render(w, r, http.StatusUnauthorized, views.Login(form, c.Next))
		return
	}
	if m.Disabled {
		// Only someone who knows the password learns the account exists
		// and is disabled, and what to do about it.
		form.Errors[""] = "This account is disabled. Ask an admin to enable it."
		s.render(w, r, http.StatusForbidden, views.Login(form, c.Next))
		return
	}
	s.limiter.succeed(keys[0], keys[1])
	s.signIn(w, r, m, safeNext(c.Next))
}

// dummyHash is checked against when the name is unknown. It is made on
// first use, not at start, so a server that no unknown name ever reaches
// never pays for it.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.HashPassword("not a real password")
	return h
})

// signIn starts a new session with a fresh token, so a token planted
// before sign-in (session fixation) is never honoured after it.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, m db.Member, next string) {
	tok := auth.Token(32)
	ua := r.UserAgent()
	if len(ua) > 256 {
		ua = ua[:256]
	}
	ds, err := s.db.CreateSession(r.Context(), m.ID, "web", auth.HashToken(tok), ua)
	if err != nil {
		s.serverError(w, r, err)
		return
	}

	sess, _ := s.store.New(r, cookieName)
	sess.Values = map[any]any{"tok": tok}
	sess.Options.Secure = r.TLS != nil
	if err := sess.Save(r, w); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("signed in", "member", m.ID, "session", ds.ID)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// postLogout ends the session server-side and clears the cookie.
func (s *Server) postLogout(w http.ResponseWriter, r *http.Request) {
	if ds, m, ok := s.currentSession(r); ok {
		if err := s.db.EndSession(r.Context(), ds.ID); err != nil {
			s.serverError(w, r, err)
			return
		}
		s.log.Info("signed out", "member", m.ID, "session", ds.ID)
	}
	sess, _ := s.store.New(r, cookieName)
	sess.Options.MaxAge = -1
	sess.Save(r, w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
