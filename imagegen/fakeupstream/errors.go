package fakeupstream

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// apiError is Google's error object, as it travels inside {"error": …}.
type apiError struct {
	Code    int              `json:"code"`
	Message string           `json:"message"`
	Status  string           `json:"status"`
	Details []map[string]any `json:"details,omitempty"`
}

// statusNames maps HTTP codes to the canonical status Google sends.
var statusNames = map[int]string{
	400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
	404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
	503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}

// writeJSON answers status with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers Google's error shape.
func writeError(w http.ResponseWriter, code int, msg string, details ...map[string]any) {
	status, ok := statusNames[code]
	if !ok {
		status = "UNKNOWN"
	}
	writeJSON(w, code, map[string]any{"error": apiError{
		Code: code, Message: msg, Status: status, Details: details,
	}})
}

// protoDuration formats d as a protobuf JSON Duration ("34.412s").
func protoDuration(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// quotaFailure is the QuotaFailure detail naming one violated quota.
func quotaFailure(model, metric, quotaID string, value int) map[string]any {
	return map[string]any{
		"@type": "type.googleapis.com/google.rpc.QuotaFailure",
		"violations": []map[string]any{{
			"quotaMetric": "generativelanguage.googleapis.com/" + metric,
			"quotaId":     quotaID,
			"quotaDimensions": map[string]string{
				"location": "global", "model": model,
			},
			"quotaValue": strconv.Itoa(value),
		}},
	}
}

// retryInfo is the RetryInfo detail carrying the delay.
func retryInfo(d time.Duration) map[string]any {
	return map[string]any{
		"@type":      "type.googleapis.com/google.rpc.RetryInfo",
		"retryDelay": protoDuration(d),
	}
}

// quotaMessage is the text the Gemini API sends with a quota 429. It
// mentions billing although it is a plain rate limit, which is exactly
// what a careless classifier trips over.
func quotaMessage(model, metric string, limit int, d time.Duration) string {
	return fmt.Sprintf("You exceeded your current quota, please check your plan "+
		"and billing details.\n* Quota exceeded for metric: "+
		"generativelanguage.googleapis.com/%s, limit: %d, model: %s\n"+
		"Please retry in %s.", metric, limit, model, protoDuration(d))
}

// quotaNames gives the metric and quota id of each window limit.
var quotaNames = map[string][2]string{
	"rpm": {"generate_requests_per_model", "GenerateRequestsPerMinutePerProjectPerModel"},
	"tpm": {"generate_tokens_per_model", "GenerateTokensPerMinutePerProjectPerModel"},
	"rpd": {"generate_requests_per_model_per_day",
		"GenerateRequestsPerDayPerProjectPerModel"},
}

// write429 answers the Gemini API's quota 429 for one violated limit.
func write429(w http.ResponseWriter, model, quota string, limit int, d time.Duration) {
	n := quotaNames[quota]
	writeError(w, http.StatusTooManyRequests, quotaMessage(model, n[0], limit, d),
		quotaFailure(model, n[0], n[1], limit), retryInfo(d))
}

// writeVertex429 answers Vertex's quota 429: message only, no details.
func writeVertex429(w http.ResponseWriter, model string) {
	writeError(w, http.StatusTooManyRequests, fmt.Sprintf(
		"Quota exceeded for aiplatform.googleapis.com/"+
			"online_prediction_requests_per_base_model with base model: %s. "+
			"Please submit a quota increase request.", model))
}

// writeArray429 answers a quota 429 wrapped in a JSON array, as some
// Google front ends do.
func writeArray429(w http.ResponseWriter, model string, d time.Duration) {
	n := quotaNames["rpm"]
	writeJSON(w, http.StatusTooManyRequests, []map[string]any{{"error": apiError{
		Code: 429, Status: "RESOURCE_EXHAUSTED",
		Message: quotaMessage(model, n[0], 10, d),
		Details: []map[string]any{quotaFailure(model, n[0], n[1], 10), retryInfo(d)},
	}}})
}

// writeBilling answers the 429 of an account whose credits ran out.
func writeBilling(w http.ResponseWriter) {
	writeError(w, http.StatusTooManyRequests, "Your prepayment credits are "+
		"depleted. Please go to AI Studio to manage your project and billing.")
}

// writeBlockedPrompt answers the 400 that refuses a prompt outright.
func writeBlockedPrompt(w http.ResponseWriter) {
	writeError(w, http.StatusBadRequest, "Image generation failed with the "+
		"following error: The prompt could not be submitted. This prompt "+
		"contains sensitive words that violate Google's Responsible AI "+
		"practices. Try rephrasing the prompt.")
}

// writeStatus answers a plain server-side failure.
func writeStatus(w http.ResponseWriter, code int) {
	msg := map[int]string{
		500: "An internal error has occurred. Please retry or report it.",
		503: "The model is overloaded. Please try again later.",
	}[code]
	if msg == "" {
		msg = http.StatusText(code)
	}
	writeError(w, code, msg)
}
