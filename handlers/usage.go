package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"atelier/db"
	"atelier/views"
)

// usageDays is how many days the usage charts cover.
const usageDays = 30

// usageScope is whose usage a request asks for: one member, or with ID 0
// the whole team.
type usageScope struct {
	ID   int64
	Name string
}

// key is the scope as the member query value.
func (u usageScope) key() string {
	if u.ID == 0 {
		return "team"
	}
	return strconv.FormatInt(u.ID, 10)
}

// scopeOf reads the member query value: empty is the signed-in member,
// "team" (or "all") everyone, a number that member. Only admins may ask
// for anyone but themselves; others get 403. ok is false once an error
// page has been written.
func (s *Server) scopeOf(w http.ResponseWriter, r *http.Request) (usageScope, bool) {
	me := memberOf(r)
	v := r.URL.Query().Get("member")
	if v == "" || v == strconv.FormatInt(me.ID, 10) {
		return usageScope{ID: me.ID, Name: me.Name}, true
	}
	if !me.Admin {
		s.fail(w, r, http.StatusForbidden, "Only admins may see other members' usage.")
		return usageScope{}, false
	}
	if v == "team" || v == "all" {
		return usageScope{Name: "the team"}, true
	}
	id, err := strconv.ParseInt(v, 10, 64)
	m, err2 := s.db.MemberByID(r.Context(), id)
	if err != nil || errors.Is(err2, db.ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "There is no such member.")
		return usageScope{}, false
	}
	if err2 != nil {
		s.serverError(w, r, err2)
		return usageScope{}, false
	}
	return usageScope{ID: m.ID, Name: m.Name}, true
}

func (s *Server) getUsage(w http.ResponseWriter, r *http.Request) {
	scope, ok := s.scopeOf(w, r)
	if !ok {
		return
	}
	p, err := s.usagePage(r, scope)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	c := s.chrome(r, "Usage", "usage")
	p.Quota = c.Quota
	if scope.ID != memberOf(r).ID && scope.ID != 0 {
		p.Quota = s.quotaView(r, scope.ID)
	}
	s.render(w, r, http.StatusOK, views.Usage(c, p))
}

// usagePage reads everything the usage page shows for a scope.
func (s *Server) usagePage(r *http.Request, scope usageScope) (views.UsagePage, error) {
	ctx := r.Context()
	p := views.UsagePage{Scope: scope.Name, ScopeID: scope.key(), Team: scope.ID == 0}

	// The charts and the per-model table cover the same 30 days.
	days, err := s.db.DailyUsage(ctx, scope.ID, usageDays, s.location())
	if err != nil {
		return p, err
	}
	for _, d := range days {
		p.Days = append(p.Days, views.DayUsage{Day: d.Day.Format(dateLayout),
			Tokens: d.Tokens, Micros: d.Micros})
	}
	from, to := days[0].Day, days[len(days)-1].Day.AddDate(0, 0, 1)
	p.From, p.To = from.Format(dateLayout), days[len(days)-1].Day.Format(dateLayout)
	if p.Models, err = s.db.UsageByModel(ctx, scope.ID, from, to); err != nil {
		return p, err
	}

	if scope.ID != 0 {
		if p.Sessions, err = s.db.MemberSessions(ctx, scope.ID, 50); err != nil {
			return p, err
		}
	}
	if err := s.usageLedger(r, scope, &p); err != nil {
		return p, err
	}
	return p, s.usageMembers(r, &p)
}

// usageLedger reads one page of the ledger, keyed by the last row's id.
func (s *Server) usageLedger(r *http.Request, scope usageScope,
	p *views.UsagePage) error {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	rows, next, err := s.db.Ledger(r.Context(), db.LedgerQuery{Member: scope.ID,
		Before: max(before, 0), Limit: 50})
	if err != nil {
		return err
	}
	p.Ledger = rows
	if next > 0 {
		v := url.Values{"member": {scope.key()}, "before": {strconv.FormatInt(next, 10)}}
		p.NextURL = "/usage?" + v.Encode()
	}
	return nil
}

// usageMembers lists the members an admin may choose from.
func (s *Server) usageMembers(r *http.Request, p *views.UsagePage) error {
	if !memberOf(r).Admin {
		return nil
	}
	members, err := s.db.Members(r.Context())
	for _, m := range members {
		p.Members = append(p.Members, views.Option{Value: strconv.FormatInt(m.ID, 10),
			Label: m.Name})
	}
	return err
}
