package handlers

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"atelier/auth"
	"atelier/db"
	"atelier/quota"
	"atelier/views"
)

func (s *Server) getAdmin(w http.ResponseWriter, r *http.Request) {
	s.renderAdmin(w, r, http.StatusOK, views.Errors{}, s.savedMessage(r))
}

// savedMessage words the confirmation after a change. The link names
// only what was changed; the words are Atelier's, so a crafted link
// cannot put text of its own on the page.
func (s *Server) savedMessage(r *http.Request) string {
	q := r.URL.Query()
	switch q.Get("saved") {
	case "limits":
		for _, g := range s.runner.Groups() {
			if g.Name == q.Get("group") {
				return "Limits for " + g.Name + " saved."
			}
		}
	case "added", "member":
		id, err := strconv.ParseInt(q.Get("member"), 10, 64)
		if err != nil {
			return ""
		}
		m, err := s.db.MemberByID(r.Context(), id)
		if err != nil {
			return ""
		}
		if q.Get("saved") == "added" {
			return m.Name + " added."
		}
		return m.Name + " saved."
	}
	return ""
}

func (s *Server) renderAdmin(
	w http.ResponseWriter,
	r *http.Request,
	status int,
	errs views.Errors,
	saved string,
) {
	members, err := s.db.Members(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	b := s.runner.Budgets()
	p := views.AdminPage{Members: members, Errors: errs, Saved: saved,
		DefaultDailyTokens: b.DailyTokens, DefaultMonthlyMicros: b.MonthlyMicros}
	offered := map[string]bool{}
	for _, m := range s.runner.Models() {
		offered[m.Group] = true
	}
	for _, g := range s.runner.Groups() {
		if !offered[g.Name] {
			continue // no provider is configured for it
		}
		l := g.Limiter.Limits()
		req, tok := g.Limiter.Available()
		row := views.LimitRow{Group: g.Name, RPM: l.RPM, TPM: l.TPM, RPD: l.RPD,
			Requests: req, Tokens: tok, Waiting: g.Waiting}
		if until, reason, ok := g.Limiter.Paused(); ok {
			row.Paused = fmt.Sprintf("· paused until %s: %s", until.Format("15:04:05"), reason)
		}
		p.Limits = append(p.Limits, row)
	}
	s.render(w, r, status, views.Admin(s.chrome(r, "Admin", "admin"), p))
}

// postLimits changes a limit group's RPM, TPM and RPD at once.
func (s *Server) postLimits(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	group := r.PostFormValue("group")
	errs := views.Errors{}
	num := func(field string, min int64) int64 {
		v, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(field)), 10, 64)
		if err != nil || v < min || v > 1_000_000_000 {
			errs[field+"-"+group] = fmt.Sprintf("Enter a whole number of at least %d.", min)
		}
		return v
	}
	l := quota.Limits{RPM: num("rpm", 1), TPM: num("tpm", 1), RPD: num("rpd", 0)}
	if len(errs) > 0 {
		s.renderAdmin(w, r, http.StatusUnprocessableEntity, errs, "")
		return
	}
	if err := s.runner.SetLimits(r.Context(), group, l); err != nil {
		s.renderAdmin(w, r, http.StatusUnprocessableEntity, views.Errors{"": err.Error()}, "")
		return
	}
	s.log.Info("limits changed", "group", group, "rpm", l.RPM, "tpm", l.TPM, "rpd", l.RPD,
		"by", memberOf(r).ID)
	http.Redirect(
		w,
		r,
		"/admin?saved=limits&group="+urlEscape(group),
		http.StatusSeeOther,
	)
}

// postAddMember creates a member with a password the admin hands over.
func (s *Server) postAddMember(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	c := parseCredentials(r)
	errs := c.validateNew()
	if len(errs) > 0 {
		s.renderAdmin(w, r, http.StatusUnprocessableEntity, views.Errors{
			"new-name": errs["name"], "new-password": errs["password"]}, "")
		return
	}
	hash, err := auth.HashPassword(c.Password)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	m, err := s.db.CreateMember(
		r.Context(),
		c.Name,
		hash,
		r.PostFormValue("admin") == "1",
		false,
	)
	if errors.Is(err, db.ErrConflict) {
		s.renderAdmin(w, r, http.StatusUnprocessableEntity,
			views.Errors{"new-name": "A member with that name already exists."}, "")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("member added", "member", m.ID, "by", memberOf(r).ID)
	http.Redirect(w, r, fmt.Sprintf("/admin?saved=added&member=%d", m.ID), http.StatusSeeOther)
}

// postUpdateMember sets a member's role, status and budget overrides.
func (s *Server) postUpdateMember(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	m, ok := s.memberFromPath(w, r)
	if !ok {
		return
	}

	errs := views.Errors{}
	m.Admin = r.PostFormValue("admin") == "1"
	m.Disabled = r.PostFormValue("disabled") == "1"
	if m.ID == memberOf(r).ID && (!m.Admin || m.Disabled) {
		errs[""] = "You cannot remove your own admin role or disable yourself."
	}
	m.DailyTokens = optionalInt(r.PostFormValue("daily_tokens"), "daily tokens", errs)
	m.MonthlyMicros = optionalUSD(r.PostFormValue("monthly_usd"), errs)
	if len(errs) > 0 {
		s.renderAdmin(w, r, http.StatusUnprocessableEntity, errs, "")
		return
	}

	if err := s.db.UpdateMember(r.Context(), m); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("member updated", "member", m.ID, "admin", m.Admin, "disabled", m.Disabled,
		"by", memberOf(r).ID)
	http.Redirect(w, r, fmt.Sprintf("/admin?saved=member&member=%d", m.ID), http.StatusSeeOther)
}

// optionalInt parses an optional whole number; empty means the default.
func optionalInt(v, what string, errs views.Errors) sql.NullInt64 {
	v = strings.TrimSpace(v)
	if v == "" {
		return sql.NullInt64{}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		errs[""] = "The " + what + " budget must be a whole number of 0 or more, or empty."
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: n, Valid: true}
}

// optionalUSD parses an optional dollar amount into micro-USD.
func optionalUSD(v string, errs views.Errors) sql.NullInt64 {
	v = strings.TrimPrefix(strings.TrimSpace(v), "$")
	if v == "" {
		return sql.NullInt64{}
	}
	f, err := strconv.ParseFloat(v, 64)
	if !usdPattern.MatchString(v) || err != nil || f > 1e9 {
		errs[""] = "The monthly USD budget must be an amount like 25 or 12.50, or empty."
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(math.Round(f * 1e6)), Valid: true}
}

// usdPattern is a plain dollar amount: digits, and at most six decimals
// (a micro-dollar).
var usdPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,6})?$`)

// memberFromPath loads the member named by the path's id; a bad or
// unknown id is a 404.
func (s *Server) memberFromPath(w http.ResponseWriter, r *http.Request) (db.Member, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, http.StatusNotFound, "There is no such member.")
		return db.Member{}, false
	}
	m, err := s.db.MemberByID(r.Context(), id)
	if errors.Is(err, db.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "There is no such member.")
		return m, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return m, false
	}
	return m, true
}
