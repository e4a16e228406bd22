package handlers

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// googleError is Google's error object, inside {"error": …}.
type googleError struct {
	Code    int              `json:"code"`
	Message string           `json:"message"`
	Status  string           `json:"status"`
	Details []map[string]any `json:"details,omitempty"`
}

// googleStatus names the canonical status Google sends with each code.
var googleStatus = map[int]string{
	400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
	404: "NOT_FOUND", 413: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED",
	499: "CANCELLED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}

// googleFail answers an error in Google's shape.
func googleFail(w http.ResponseWriter, code int, msg string, details ...map[string]any) {
	status, ok := googleStatus[code]
	if !ok {
		status = "UNKNOWN"
	}
	writeJSON(w, code, map[string]googleError{"error": {Code: code, Message: msg,
		Status: status, Details: details}})
}

// googleUnauthenticated answers a missing or refused key.
func googleUnauthenticated(w http.ResponseWriter, msg string) {
	googleFail(w, http.StatusUnauthorized, msg, map[string]any{
		"@type":  "type.googleapis.com/google.rpc.ErrorInfo",
		"reason": "API_KEY_INVALID", "domain": "atelier",
	})
}

// badRequestDetail lists field problems as google.rpc.BadRequest does.
func badRequestDetail(errs map[string]string) map[string]any {
	names := make([]string, 0, len(errs))
	for k := range errs {
		names = append(names, k)
	}
	sort.Strings(names)
	var v []map[string]string
	for _, k := range names {
		v = append(v, map[string]string{"field": k, "description": errs[k]})
	}
	return map[string]any{"@type": "type.googleapis.com/google.rpc.BadRequest",
		"fieldViolations": v}
}

// joinErrors puts form errors into one message, field by field.
func joinErrors(errs map[string]string) string {
	var parts []string
	for _, d := range badRequestDetail(errs)["fieldViolations"].([]map[string]string) {
		parts = append(parts, strings.TrimPrefix(d["field"]+": ", ": ")+d["description"])
	}
	return strings.Join(parts, " ")
}

// quotaExhausted answers Google's 429 with QuotaFailure and RetryInfo
// details and a Retry-After header, so clients back off for as long as
// the refusal really lasts.
func quotaExhausted(w http.ResponseWriter, msg, subject string, until time.Time) {
	secs := secondsUntil(until)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	googleFail(w, http.StatusTooManyRequests, msg,
		map[string]any{"@type": "type.googleapis.com/google.rpc.QuotaFailure",
			"violations": []map[string]string{{"subject": subject, "description": msg}}},
		map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo",
			"retryDelay": fmt.Sprintf("%ds", secs)})
}

// googleRefusal answers a submission the runner refused, in Google's
// shape. queueFree is when the member's queue should next have room.
func (s *Server) googleRefusal(w http.ResponseWriter, r *http.Request, err error,
	queueFree func() time.Time) {
	ref, ok := refusalOf(err)
	if !ok {
		s.log.Error("gemini-protocol submit failed", "member", memberOf(r).ID, "err", err)
		googleFail(w, http.StatusInternalServerError, "Internal error; it has been logged.")
		return
	}
	switch ref.kind {
	case "budget_exhausted":
		quotaExhausted(w, "Atelier: "+ref.message+".", ref.budget, ref.until)
	case "queue_full":
		quotaExhausted(w, "Atelier: "+ref.message+".", ref.budget, queueFree())
	case "paused":
		w.Header().Set("Retry-After", strconv.FormatInt(secondsUntil(ref.until), 10))
		googleFail(w, http.StatusServiceUnavailable, ref.message+".")
	default:
		googleFail(w, http.StatusBadRequest, ref.message+".")
	}
}

// failedJobStatus picks the HTTP status for a job that failed, as Google
// would answer the failure: from the failure class the runner recorded on
// the job's last failed attempt, else from the words of its reason.
func (s *Server) failedJobStatus(ctx context.Context, jobID int64, reason string) int {
	class, err := s.db.JobOutcome(ctx, jobID)
	if err != nil {
		s.log.Warn("read job outcome", "job", jobID, "err", err)
	}
	switch class {
	case "blocked", "no_image", "bad_request":
		return http.StatusBadRequest
	case "overload":
		return http.StatusServiceUnavailable
	case "rate_limited", "daily_quota", "billing_stop":
		return http.StatusTooManyRequests
	case "transient":
		return http.StatusBadGateway
	}
	return statusFromReason(reason)
}

// statusFromReason is failedJobStatus for a job with no recorded class.
func statusFromReason(reason string) int {
	r := strings.ToLower(reason)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(r, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("overloaded", "busy"):
		return http.StatusServiceUnavailable
	case has("blocked", "refused", "safety", "withheld", "rejected"):
		return http.StatusBadRequest
	case has("quota", "billing", "credits"):
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}
