package handlers_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/genai"

	"atelier/imagegen/fakeupstream"
	"atelier/internal/testapp"
	"atelier/quota"
)

// TestGeminiProtocolFailedJobs asks through the official SDK for images
// the upstream refuses or cannot make, and checks each failure comes back
// as Google would answer it, with the provider's reason.
func TestGeminiProtocolFailedJobs(t *testing.T) {
	app, fake := withFake(t, testapp.Options{Attempts: 2,
		Backoff: quota.Backoff{Base: 5 * time.Millisecond, Cap: 10 * time.Millisecond}})
	ada := app.AddMember(t, "ada", "correct horse battery", false)
	key := newKey(t, app, ada)
	const model = "gemini-2.5-flash-image"

	cases := []struct {
		name   string
		faults []fakeupstream.Fault
		status int
		reason string
	}{
		{"output blocked", []fakeupstream.Fault{fakeupstream.FaultOutputBlocked{
			FinishReason: "IMAGE_SAFETY"}}, http.StatusBadRequest, "IMAGE_SAFETY"},
		{"prompt refused", []fakeupstream.Fault{fakeupstream.FaultBlockedPrompt{}},
			http.StatusBadRequest, "refused the prompt"},
		{"text only", []fakeupstream.Fault{fakeupstream.FaultTextOnly{Text: "Sure, here"}},
			http.StatusBadRequest, "text only"},
		{"overloaded", []fakeupstream.Fault{fakeupstream.FaultStatus{Code: 503},
			fakeupstream.FaultStatus{Code: 503}}, http.StatusServiceUnavailable, "overloaded"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake.Script(model, c.faults...)
			_, err := sdk(t, app, key, "v1beta").Models.GenerateContent(t.Context(), model,
				genai.Text("a storm at sea, "+c.name), nil)
			var apiErr genai.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %T %v, want Google's error", err, err)
			}
			if apiErr.Code != c.status {
				t.Errorf("status %d (%s), want %d", apiErr.Code, apiErr.Message, c.status)
			}
			if !containsFold(apiErr.Message, c.reason) {
				t.Errorf("message %q does not mention %q", apiErr.Message, c.reason)
			}
		})
	}
	if imgs := memberImages(t, app, ada); len(imgs) != 0 {
		t.Errorf("%d images stored from failed jobs", len(imgs))
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
