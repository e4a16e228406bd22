package handlers

import (
	"net/http"

	"atelier/views"
)

func (s *Server) getUsage(w http.ResponseWriter, r *http.Request) {
	m := memberOf(r)
	days, err := s.db.DailyUsage(r.Context(), m.ID, 30, s.runner.Budgets().Location)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	sessions, err := s.db.MemberSessions(r.Context(), m.ID, 50)
	if err != nil {
		s.serverError(w, r, err)
		return
	}

	c := s.chrome(r, "Usage", "usage")
	p := views.UsagePage{Quota: c.Quota, Sessions: sessions}
	for _, d := range days {
		p.Days = append(p.Days, views.DayUsage{Day: d.Day.Format("2006-01-02"),
			Tokens: d.Tokens, Micros: d.Micros})
	}
	s.render(w, r, http.StatusOK, views.Usage(c, p))
}
