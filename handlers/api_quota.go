package handlers

import (
	"net/http"
	"time"
)

// budgetJSON is one budget: its limit, what is used or held, what is
// left and when it resets. Limit is null when there is no limit.
type budgetJSON struct {
	Limit     *int64    `json:"limit"`
	Used      int64     `json:"used"`
	Remaining *int64    `json:"remaining"`
	ResetsAt  time.Time `json:"resets_at"`
}

// quotaJSON is GET /api/v1/quota's answer. Money is in exact micro-USD
// integers (1 USD = 1,000,000), as the ledger keeps it.
type quotaJSON struct {
	DailyTokens    budgetJSON `json:"daily_tokens"`
	MonthlyMicros  budgetJSON `json:"monthly_usd_micros"`
	TeamMicros     budgetJSON `json:"team_monthly_usd_micros"`
	Waiting        int        `json:"waiting"` // jobs queued for every model
	LimiterRequest int64      `json:"limiter_requests_free"`
	LimiterTokens  int64      `json:"limiter_tokens_free"`
}

// budget describes one budget for the answer.
func budget(limit, used, left int64, reset time.Time) budgetJSON {
	b := budgetJSON{Used: used, ResetsAt: reset}
	if limit > 0 {
		b.Limit, b.Remaining = &limit, &left
	}
	return b
}

// getAPIQuota reports the member's remaining budgets and the shared
// limiter's capacity now.
func (s *Server) getAPIQuota(w http.ResponseWriter, r *http.Request) {
	q, err := s.db.MemberQuota(r.Context(), memberOf(r).ID, s.runner.Budgets())
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	v := quotaJSON{
		DailyTokens: budget(q.DailyTokens, q.DailyTokensUsed, q.TokensLeft(), q.DayResetAt),
		MonthlyMicros: budget(q.MonthlyMicros, q.MonthlyMicrosUsed, q.MicrosLeft(),
			q.MonthResetAt),
		TeamMicros: budget(q.TeamMicros, q.TeamMicrosUsed, q.TeamMicrosLeft(), q.MonthResetAt),
	}
	view := s.quotaView(r, memberOf(r).ID)
	v.Waiting, v.LimiterRequest, v.LimiterTokens = view.Waiting, view.Requests, view.Tokens
	writeJSON(w, http.StatusOK, v)
}
