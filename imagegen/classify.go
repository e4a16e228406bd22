package imagegen

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// What each class means for the rest of Atelier. The dispatcher, the
// ledger and the limiter implement these effects; this list is the
// contract they follow.
//
//	ClassTransient    job: retried with back-off within its attempt
//	                  budget, then failed with the reason.
//	                  ledger: refund on failure. limiter: no change.
//	ClassRateLimited  job: the call waits on the limiter and is sent
//	                  again; not an attempt (bounded by time instead).
//	                  ledger: reservation kept. limiter: pause
//	                  RetryAfter (back-off when 0), lower the rate,
//	                  recover gradually on success.
//	ClassDailyQuota   job: that call fails and is refunded; new jobs
//	                  for the model group are refused with the reset
//	                  time. limiter: group paused until midnight
//	                  Pacific.
//	ClassBillingStop  job: that call fails and is refunded; members are
//	                  told plainly and admins see why on the admin
//	                  page. limiter: every remote provider's group
//	                  paused (new jobs refused) for a while, then tried
//	                  again.
//	ClassOverload     job: retried with back-off; when spent, failed
//	                  as "overload". ledger: refund on failure.
//	ClassBlocked      job: failed at once, provider's reason shown.
//	                  ledger: Usage when Reported (Gemini bills the
//	                  tokens of a blocked output); Imagen blocks and
//	                  filtered images are free. limiter: no change.
//	ClassNoImage      job: failed at once, the model's text shown.
//	                  ledger: Usage when Reported, else refund.
//	ClassBadRequest   job: failed at once. ledger: refund.
//
// A 401 or 403 (the key itself was refused) is a ClassBadRequest: no
// retry can fix it, and its reason says the provider rejected the key so
// an admin knows where to look. It never quotes the key.

// statusBody is Google's error object.
type statusBody struct {
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Status  string            `json:"status"`
	Details []json.RawMessage `json:"details"`
}

// detail is the union of the error details Atelier reads.
type detail struct {
	Type       string `json:"@type"`
	RetryDelay string `json:"retryDelay"` // RetryInfo
	Reason     string `json:"reason"`     // ErrorInfo
	Violations []struct {
		QuotaMetric string `json:"quotaMetric"`
		QuotaID     string `json:"quotaId"`
		QuotaValue  string `json:"quotaValue"`
	} `json:"violations"` // QuotaFailure
}

// answer is an error answer with its details decoded.
type answer struct {
	status    int
	code      string
	message   string
	retry     time.Duration
	hasRetry  bool
	quotaIDs  []string
	errReason string
}

// ClassifyHTTP sorts an upstream error answer (status, headers, body)
// into an *Error. now resolves a Retry-After given as an HTTP date.
func ClassifyHTTP(status int, header http.Header, body []byte, now time.Time) *Error {
	a := parseAnswer(status, body)

	// The delay: RetryInfo first, then the Retry-After header.
	delay := a.retry
	if !a.hasRetry && header != nil {
		delay = ParseRetryAfter(header.Get("Retry-After"), now)
	}
	e := &Error{Status: status, Code: a.code, RetryAfter: delay}
	e.Class, e.Reason = a.classify()
	return e
}

// parseAnswer decodes the error object, whether bare or inside an array.
func parseAnswer(status int, body []byte) answer {
	a := answer{status: status, code: http.StatusText(status)}
	var wrap struct {
		Error *statusBody `json:"error"`
	}
	trimmed := bytes.TrimSpace(body)
	if bytes.HasPrefix(trimmed, []byte("[")) {
		var list []json.RawMessage
		if json.Unmarshal(trimmed, &list) == nil && len(list) > 0 {
			trimmed = list[0]
		}
	}
	if json.Unmarshal(trimmed, &wrap) != nil || wrap.Error == nil {
		a.message = shorten(string(trimmed), 300)
		return a
	}
	a.message = wrap.Error.Message
	if wrap.Error.Status != "" {
		a.code = wrap.Error.Status
	}
	a.readDetails(wrap.Error.Details)
	return a
}

// readDetails picks RetryInfo, QuotaFailure and ErrorInfo from details.
func (a *answer) readDetails(raw []json.RawMessage) {
	for _, r := range raw {
		var d detail
		if json.Unmarshal(r, &d) != nil {
			continue
		}
		switch {
		case strings.HasSuffix(d.Type, "google.rpc.RetryInfo"):
			if dur, err := time.ParseDuration(d.RetryDelay); err == nil && dur >= 0 {
				a.retry, a.hasRetry = dur, true
			}
		case strings.HasSuffix(d.Type, "google.rpc.QuotaFailure"):
			for _, v := range d.Violations {
				a.quotaIDs = append(a.quotaIDs, v.QuotaID+" "+v.QuotaMetric)
			}
		case strings.HasSuffix(d.Type, "google.rpc.ErrorInfo"):
			a.errReason = d.Reason
		}
	}
}

// Patterns that tell the kinds of refusal apart by their words.
var (
	perDay  = regexp.MustCompile(`(?i)per[_ -]?day`)
	billing = regexp.MustCompile(`(?i)credits are depleted|prepayment|` +
		`billing (account )?(is )?(disabled|not active|closed)|` +
		`requires billing to be enabled`)
	unsafe = regexp.MustCompile(`(?i)safety|blocked|responsible ai|` +
		`sensitive words|violat|prohibited`)
)

// classify decides the class and the member's reason.
func (a answer) classify() (Class, string) {
	msg := shorten(a.message, 300)
	switch {
	case billing.MatchString(a.message) || a.errReason == "BILLING_DISABLED":
		return ClassBillingStop, "the provider stopped serving the team's " +
			"key for billing: " + msg
	case a.status == http.StatusTooManyRequests:
		return a.classify429(msg)
	case a.errReason == "API_KEY_INVALID" ||
		a.status == http.StatusUnauthorized || a.status == http.StatusForbidden:
		return ClassBadRequest, fmt.Sprintf(
			"the provider rejected the key (%d %s)", a.status, a.code)
	case a.status == http.StatusBadRequest && unsafe.MatchString(a.message):
		return ClassBlocked, "the provider refused the prompt: " + msg
	case a.status == http.StatusServiceUnavailable:
		return ClassOverload, "the provider is overloaded (503 " + a.code + ")"
	case a.status >= 500, a.status == http.StatusRequestTimeout,
		a.status == http.StatusConflict:
		return ClassTransient, fmt.Sprintf("the provider failed (%d %s)",
			a.status, a.code)
	}
	return ClassBadRequest, fmt.Sprintf("the provider rejected the request "+
		"(%d %s): %s", a.status, a.code, msg)
}

// classify429 tells a per-day quota from a per-minute one.
func (a answer) classify429(msg string) (Class, string) {
	daily := false
	for _, q := range a.quotaIDs {
		daily = daily || perDay.MatchString(q)
	}
	if len(a.quotaIDs) == 0 && perDay.MatchString(a.message) {
		daily = true
	}
	if daily {
		return ClassDailyQuota, "the provider's daily quota for this model " +
			"is used up; it resets at midnight Pacific time"
	}
	return ClassRateLimited, "the provider's per-minute quota is used up"
}

// ParseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date. It returns 0 for an empty, malformed or past value.
func ParseRetryAfter(header string, now time.Time) time.Duration {
	header = strings.TrimSpace(header)
	if header == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(header, 64); err == nil {
		// NaN and negative delays mean nothing; absurd ones are capped
		// at a day so a broken header cannot overflow a Duration.
		if !(secs > 0) {
			return 0
		}
		return time.Duration(min(secs, 86400) * float64(time.Second))
	}
	if t, err := http.ParseTime(header); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// shorten cuts s to n bytes on a rune boundary, marking the cut.
func shorten(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// utf8Start reports whether b begins a UTF-8 sequence.
func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// classifyFailure sorts a call that got no usable HTTP answer: the
// connection dropped, the deadline passed, or the answer could not be
// decoded. All of them are transient: the same call may well succeed.
func classifyFailure(err error, key string) *Error {
	var reason string
	switch {
	case errors.Is(err, context.Canceled):
		reason = "the call was cancelled before the provider answered"
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		reason = "the provider did not answer in time"
	case isDecodeError(err):
		reason = "the provider's answer was malformed: " + err.Error()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), isNetError(err):
		reason = "the connection to the provider dropped"
	default:
		reason = "the call to the provider failed: " + err.Error()
	}
	return &Error{Class: ClassTransient, Reason: scrub(shorten(reason, 300), key)}
}

// isTimeout reports a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isNetError reports any network-level failure.
func isNetError(err error) bool {
	var ne net.Error
	var op *net.OpError
	return errors.As(err, &ne) || errors.As(err, &op)
}

// isDecodeError reports a JSON or base64 decoding failure.
func isDecodeError(err error) bool {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var b64 base64.CorruptInputError
	return errors.As(err, &syn) || errors.As(err, &typ) || errors.As(err, &b64) ||
		strings.Contains(err.Error(), "illegal base64")
}

// scrub removes the key from text that may end up in front of a member or
// in a log. Google does not echo keys, but SDK error texts can print the
// client configuration, and one leak is one too many.
func scrub(text, key string) string {
	if key == "" {
		return text
	}
	return strings.ReplaceAll(text, key, "[key]")
}
