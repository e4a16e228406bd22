package imagegen

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestClassifyHTTP(t *testing.T) {
	quota := `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"You exceeded ` +
		`your current quota, please check your plan and billing details.","details":[` +
		`{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":` +
		`"generativelanguage.googleapis.com/generate_requests","quotaId":"%s","quotaValue":"10"}]},` +
		`{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"34.4s"}]}}`
	cases := []struct {
		name   string
		status int
		header http.Header
		body   string
		class  Class
		retry  time.Duration
		reason string
	}{
		{"429 retry info", 429, nil, strings.Replace(quota, "%s",
			"GenerateRequestsPerMinutePerProjectPerModel", 1), ClassRateLimited,
			34400 * time.Millisecond, "per-minute"},
		{"429 retry info wins over header", 429, http.Header{"Retry-After": {"3"}},
			strings.Replace(quota, "%s", "PerMinute", 1), ClassRateLimited,
			34400 * time.Millisecond, ""},
		{"429 per day", 429, nil, strings.Replace(quota, "%s",
			"GenerateRequestsPerDayPerProjectPerModel", 1), ClassDailyQuota,
			34400 * time.Millisecond, "daily"},
		{"429 array", 429, nil, "[" + strings.Replace(quota, "%s", "PerMinute", 1) + "]",
			ClassRateLimited, 34400 * time.Millisecond, ""},
		{"429 bare seconds", 429, http.Header{"Retry-After": {"12"}},
			`{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"exhausted"}}`,
			ClassRateLimited, 12 * time.Second, ""},
		{"429 bare date", 429, http.Header{"Retry-After": {now.Add(90 * time.Second).
			Format(http.TimeFormat)}}, `{"error":{"code":429,"message":"x"}}`,
			ClassRateLimited, 90 * time.Second, ""},
		{"429 bare nothing", 429, nil, `{"error":{"code":429,"message":"x"}}`,
			ClassRateLimited, 0, ""},
		{"429 vertex", 429, nil, `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED",` +
			`"message":"Quota exceeded for aiplatform.googleapis.com/online_prediction_` +
			`requests_per_base_model with base model: imagen-4.0-generate."}}`,
			ClassRateLimited, 0, ""},
		{"429 vertex per day", 429, nil, `{"error":{"code":429,"message":"Quota exceeded ` +
			`for aiplatform.googleapis.com/generate_requests_per_day"}}`, ClassDailyQuota, 0, ""},
		{"429 billing", 429, nil, `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED",` +
			`"message":"Your prepayment credits are depleted."}}`, ClassBillingStop, 0,
			"credits are depleted"},
		{"403 billing disabled", 403, nil, `{"error":{"code":403,"message":"This API ` +
			`method requires billing to be enabled."}}`, ClassBillingStop, 0, ""},
		{"400 blocked", 400, nil, `{"error":{"code":400,"status":"INVALID_ARGUMENT",` +
			`"message":"This prompt contains sensitive words that violate Google's ` +
			`Responsible AI practices."}}`, ClassBlocked, 0, "refused the prompt"},
		{"400 other", 400, nil, `{"error":{"code":400,"status":"INVALID_ARGUMENT",` +
			`"message":"aspectRatio 5:4 is not supported"}}`, ClassBadRequest, 0,
			"aspectRatio 5:4"},
		{"400 bad key", 400, nil, `{"error":{"code":400,"message":"API key not valid.",` +
			`"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo",` +
			`"reason":"API_KEY_INVALID"}]}}`, ClassBadRequest, 0, "rejected the key"},
		{"401", 401, nil, `{"error":{"code":401,"status":"UNAUTHENTICATED"}}`,
			ClassBadRequest, 0, "rejected the key (401 UNAUTHENTICATED)"},
		{"403", 403, nil, `{"error":{"code":403,"status":"PERMISSION_DENIED"}}`,
			ClassBadRequest, 0, "rejected the key"},
		{"404 model", 404, nil, `{"error":{"code":404,"status":"NOT_FOUND","message":` +
			`"models/x is not found"}}`, ClassBadRequest, 0, "not found"},
		{"500", 500, nil, `{"error":{"code":500,"status":"INTERNAL"}}`, ClassTransient, 0,
			"500 INTERNAL"},
		{"502 html", 502, nil, `<html>bad gateway</html>`, ClassTransient, 0, "502"},
		{"503", 503, http.Header{"Retry-After": {"5"}}, `{"error":{"code":503,` +
			`"status":"UNAVAILABLE","message":"The model is overloaded."}}`, ClassOverload,
			5 * time.Second, "overloaded"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := ClassifyHTTP(c.status, c.header, []byte(c.body), now)
			if e.Class != c.class || e.RetryAfter != c.retry || e.Status != c.status {
				t.Errorf("got class %d retry %v status %d, want %d %v %d (%q)",
					e.Class, e.RetryAfter, e.Status, c.class, c.retry, c.status, e.Reason)
			}
			if !strings.Contains(e.Reason, c.reason) {
				t.Errorf("reason %q does not contain %q", e.Reason, c.reason)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	cases := map[string]time.Duration{
		"":        0,
		"0":       0,
		"-3":      0,
		"NaN":     0,
		"soon":    0,
		"120":     2 * time.Minute,
		"1.5":     1500 * time.Millisecond,
		"9999999": 24 * time.Hour,
		now.Add(45 * time.Second).Format(http.TimeFormat): 45 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
	}
	for in, want := range cases {
		if got := ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestScrubHidesKey(t *testing.T) {
	key := "AIzaSECRET"
	got := scrub("ClientConfig{APIKey:"+key+"}", key)
	if strings.Contains(got, key) {
		t.Errorf("scrub left the key: %q", got)
	}
}
