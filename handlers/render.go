package handlers

import (
	"bytes"
	"net/http"

	"github.com/a-h/templ"

	"atelier/views"
)

// render writes a templ component with a status. It renders into a buffer
// first, so a template error becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail shows an error page (or, to htmx, just the message) with a status.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if isHTMX(r) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		w.Write([]byte(msg))
		return
	}
	s.render(w, r, status, views.ErrorPage(s.chrome(r, "Error", ""), status, msg))
}

// serverError logs an unexpected error and answers 500 without details.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	var member int64
	if m := memberOf(r); m != nil {
		member = m.ID
	}
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path,
		"member", member, "err", err)
	http.Error(w, "Something went wrong on our side; it has been logged.",
		http.StatusInternalServerError)
}

func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// chrome gathers what the layout shows: the member and their quota.
func (s *Server) chrome(r *http.Request, title, nav string) views.Chrome {
	c := views.Chrome{Title: title, Nav: nav, Member: memberOf(r)}
	if c.Member != nil {
		c.Quota = s.quotaView(r, c.Member.ID)
	}
	return c
}

// quotaView reads a member's remaining budgets and the limiter's capacity.
func (s *Server) quotaView(r *http.Request, memberID int64) views.QuotaView {
	q, err := s.db.MemberQuota(r.Context(), memberID, s.runner.Budgets())
	if err != nil {
		s.log.Warn("read quota", "member", memberID, "err", err)
	}
	v := views.QuotaView{
		TokensLeft: q.TokensLeft(), DailyTokens: q.DailyTokens,
		MicrosLeft: q.MicrosLeft(), TeamLeft: q.TeamMicrosLeft(),
		DayResetAt: q.DayResetAt, MonthResetAt: q.MonthResetAt,
	}
	for _, g := range s.runner.Groups() {
		v.Waiting += g.Waiting
	}
	if l := s.runner.Limiter(s.defaultModel()); l != nil {
		m, _ := s.runner.Model(s.defaultModel())
		v.Group = m.Group
		v.Requests, v.Tokens = l.Available()
	}
	return v
}

// defaultModel is the model the studio form starts with.
func (s *Server) defaultModel() string {
	ms := s.runner.Models()
	if len(ms) == 0 {
		return ""
	}
	return ms[0].ID
}
