package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"atelier/auth"
	"atelier/db"
	"atelier/views"
)

// newPasswordProblem says what is wrong with a new password, or "": the
// same rule as for a new member.
func newPasswordProblem(pw string) string {
	switch {
	case utf8.RuneCountInString(pw) < 10:
		return "Use at least 10 characters."
	case len(pw) > 1024:
		return "Use at most 1024 bytes."
	}
	return ""
}

// postChangePassword changes the member's own password. The current one
// is asked for, so that a browser left signed in is not enough to take
// the account over; wrong guesses count against the same lock as
// sign-ins. Every other browser session of the member ends, this one
// stays.
func (s *Server) postChangePassword(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	current := r.PostFormValue("current_password")
	next, again := r.PostFormValue("new_password"), r.PostFormValue("confirm_password")
	me := memberOf(r)
	fail := func(status int, field, msg string) {
		s.renderSettings(w, r, status, views.SettingsPage{
			PasswordErrors: views.Errors{field: msg}})
	}

	// Step 1: the new password must be acceptable and typed twice alike.
	if msg := newPasswordProblem(next); msg != "" {
		fail(http.StatusUnprocessableEntity, "new-password", msg)
		return
	}
	if next != again {
		fail(http.StatusUnprocessableEntity, "confirm-password",
			"The two new passwords differ; type the same one twice.")
		return
	}

	// Step 2: the current password, throttled like a sign-in.
	keys := []string{"name:" + strings.ToLower(me.Name), "addr:" + clientAddr(r)}
	if wait := s.limiter.attempt(keys...); wait > 0 {
		w.Header().Set("Retry-After", retryAfterSeconds(wait))
		fail(http.StatusTooManyRequests, "current-password",
			"Too many wrong passwords. Try again in "+humanWait(wait)+".")
		return
	}
	m, err := s.db.MemberByID(r.Context(), me.ID)
	if err == nil {
		err = auth.CheckPassword(m.PasswordHash, current)
	}
	if errors.Is(err, auth.ErrMismatch) {
		s.log.Info("password change refused", "member", me.ID, "addr", clientAddr(r))
		fail(http.StatusUnprocessableEntity, "current-password",
			"That is not your current password.")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.limiter.succeed(keys[0], keys[1])

	// Step 3: store it and end the other sessions.
	if !s.setPassword(w, r, me.ID, next, sessionOf(r).ID) {
		return
	}
	s.log.Info("password changed", "member", me.ID)
	http.Redirect(w, r, "/settings?password=changed", http.StatusSeeOther)
}

// setPassword hashes and stores a member's new password, ending their
// browser sessions except keep. It answers the error itself.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request, memberID int64,
	password string, keep int64) bool {
	hash, err := auth.HashPassword(password)
	if err == nil {
		err = s.db.SetPassword(r.Context(), memberID, hash, keep)
	}
	if errors.Is(err, db.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "There is no such member.")
		return false
	}
	if err != nil {
		s.serverError(w, r, err)
		return false
	}
	return true
}

// postResetPassword sets another member's password, for one who has
// forgotten theirs, and signs them out everywhere. Admins change their
// own on the settings page, where the current password is asked for.
func (s *Server) postResetPassword(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	m, ok := s.memberFromPath(w, r)
	if !ok {
		return
	}

	field := fmt.Sprintf("password-%d", m.ID)
	msg := newPasswordProblem(r.PostFormValue("password"))
	if m.ID == memberOf(r).ID {
		msg = "Change your own password on the settings page."
	}
	if msg != "" {
		s.renderAdmin(w, r, http.StatusUnprocessableEntity, views.Errors{field: msg}, "")
		return
	}
	if !s.setPassword(w, r, m.ID, r.PostFormValue("password"), 0) {
		return
	}
	s.log.Info("password reset", "member", m.ID, "by", memberOf(r).ID)
	// The admin page words its confirmations itself from a fixed set;
	// "member" confirms a change to this member.
	http.Redirect(w, r, fmt.Sprintf("/admin?saved=member&member=%d", m.ID),
		http.StatusSeeOther)
}
