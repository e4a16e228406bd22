package handlers

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"atelier/db"
)

// ledgerCSVHeader names the export's columns.
var ledgerCSVHeader = []string{"id", "created_at", "period_at", "kind", "member_id",
	"member", "session_id", "job_id", "call", "model", "reserved_tokens",
	"reserved_usd", "spent_tokens", "spent_usd", "prompt_tokens", "image_tokens",
	"text_tokens", "thought_tokens", "estimated"}

// getUsageExport streams the ledger as CSV for a date range:
// GET /usage/export.csv?from=2006-01-02&to=2006-01-02&member=ID|team.
// Dates are whole days in the team's time zone, "to" included; either may
// be left out. Rows are chosen by when they were written. Admins may
// export any member or the whole team (member=team or all). A member may
// export their own ledger, the same rows the usage page already shows
// them, and gets 403 for anyone else's.
func (s *Server) getUsageExport(w http.ResponseWriter, r *http.Request) {
	scope, ok := s.scopeOf(w, r)
	if !ok {
		return
	}
	q, ok := s.exportRange(w, r)
	if !ok {
		return
	}
	q.Member = scope.ID

	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `attachment; filename="atelier-ledger-`+
		safeName(scope.key())+`.csv"`)

	// Rows go out as they are read; an error half-way can only be logged.
	out := csv.NewWriter(w)
	out.Write(ledgerCSVHeader)
	err := s.db.EachLedger(r.Context(), q, func(e db.LedgerEntry) error {
		return out.Write(ledgerRecord(e))
	})
	out.Flush()
	if err == nil {
		err = out.Error()
	}
	if err != nil {
		s.log.Warn("ledger export stopped", "member", memberOf(r).ID, "err", err)
	}
}

// exportRange reads from and to; a date that does not parse is a 400.
func (s *Server) exportRange(w http.ResponseWriter,
	r *http.Request) (db.LedgerQuery, bool) {
	var q db.LedgerQuery
	for _, b := range []struct {
		name string
		dst  *time.Time
		days int
	}{{"from", &q.From, 0}, {"to", &q.To, 1}} {
		v := r.URL.Query().Get(b.name)
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation(dateLayout, v, s.location())
		if err != nil {
			s.fail(w, r, http.StatusBadRequest, "Dates look like 2025-01-31.")
			return q, false
		}
		*b.dst = t.AddDate(0, 0, b.days)
	}
	return q, true
}

func ledgerRecord(e db.LedgerEntry) []string {
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	return []string{i(e.ID), e.CreatedAt.UTC().Format(time.RFC3339),
		e.PeriodAt.UTC().Format(time.RFC3339), e.Kind, i(e.MemberID), cell(e.Member),
		i(e.SessionID), i(e.JobID), strconv.Itoa(e.Call), cell(e.Model),
		i(e.ReservedTokens), db.USD(e.ReservedMicros), i(e.SpentTokens),
		db.USD(e.SpentMicros), i(e.PromptTokens), i(e.ImageTokens), i(e.TextTokens),
		i(e.ThoughtTokens), strconv.FormatBool(e.Estimated)}
}

// cell guards a text cell against spreadsheet formulas: a name that
// starts with = + - @ would otherwise run as one when the file is opened.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// safeName keeps letters, digits and dashes for a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, strings.ToLower(s))
}
