package imagegen_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"atelier/imagegen"
	"atelier/imagegen/fakeupstream"
)

// testKey is the key the fake accepts; no error reason may quote it.
const testKey = "AIzaTEST-secret-key-0123456789"

const geminiModel = "gemini-2.5-flash-image"

// startFake serves a fake upstream on loopback.
func startFake(t *testing.T, cfg fakeupstream.Config) (*fakeupstream.Server, *httptest.Server) {
	t.Helper()
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	fake := fakeupstream.New(cfg)
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	return fake, ts
}

// newGemini returns a provider pointed at a fresh fake.
func newGemini(t *testing.T, key string) (*fakeupstream.Server, *imagegen.Gemini) {
	t.Helper()
	fake, ts := startFake(t, fakeupstream.Config{})
	g, err := imagegen.NewGemini(t.Context(), imagegen.GeminiConfig{
		APIKey: key, BaseURL: ts.URL, HTTPClient: ts.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return fake, g
}

// asError returns err as *imagegen.Error or fails the test.
func asError(t *testing.T, err error) *imagegen.Error {
	t.Helper()
	var e *imagegen.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *imagegen.Error", err, err)
	}
	if strings.Contains(e.Reason, testKey) {
		t.Fatalf("reason quotes the key: %q", e.Reason)
	}
	return e
}

func TestGeminiImage(t *testing.T) {
	fake, g := newGemini(t, testKey)
	prompt := "a red fox in fresh snow"
	res, err := g.Generate(t.Context(), imagegen.Request{
		Model: geminiModel, Prompt: prompt, AspectRatio: "16:9", Size: "2K", Count: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Images) != 1 {
		t.Fatalf("got %d images, want 1", len(res.Images))
	}
	img := res.Images[0]
	if img.MIME != "image/png" || img.Width != 2688 || img.Height != 1536 {
		t.Errorf("image %s %dx%d, want image/png 2688x1536", img.MIME, img.Width, img.Height)
	}
	want := imagegen.Usage{Reported: true,
		PromptTokens: int64(fakeupstream.PromptTokens(prompt)), ImageTokens: 1680, TextTokens: 8}
	if res.Usage != want {
		t.Errorf("usage %+v, want %+v", res.Usage, want)
	}
	if n := fake.Stats(geminiModel).Requests; n != 1 {
		t.Errorf("upstream saw %d requests, want 1", n)
	}
}

// shape is one answer the fake serves and what the provider must make of it.
type shape struct {
	name   string
	fault  fakeupstream.Fault
	class  imagegen.Class // checked when images < 0
	reason string         // substring of the reason
	images int            // -1: an error is expected
	mime   string
	check  func(t *testing.T, res imagegen.Result, e *imagegen.Error)
}

func TestGeminiShapes(t *testing.T) {
	prompt := "a lighthouse at dusk"
	pt := int64(fakeupstream.PromptTokens(prompt))
	shapes := []shape{
		{name: "output blocked", fault: fakeupstream.FaultOutputBlocked{
			FinishReason: "IMAGE_SAFETY", Message: "unsafe image"},
			images: -1, class: imagegen.ClassBlocked,
			reason: "blocked by the provider's safety filter (IMAGE_SAFETY): unsafe image",
			check: func(t *testing.T, _ imagegen.Result, e *imagegen.Error) {
				// Google bills the prompt of a blocked output.
				if !e.Usage.Reported || e.Usage.PromptTokens != pt || e.Usage.ImageTokens != 0 {
					t.Errorf("blocked usage %+v, want %d prompt tokens reported", e.Usage, pt)
				}
			}},
		{name: "output prohibited", fault: fakeupstream.FaultOutputBlocked{
			FinishReason: "PROHIBITED_CONTENT"}, images: -1, class: imagegen.ClassBlocked,
			reason: "(PROHIBITED_CONTENT)"},
		{name: "prompt blocked", fault: fakeupstream.FaultPromptBlocked{BlockReason: "SAFETY"},
			images: -1, class: imagegen.ClassBlocked,
			reason: "the provider blocked the prompt (SAFETY)"},
		{name: "no image", fault: fakeupstream.FaultNoImage{}, images: -1,
			class: imagegen.ClassNoImage, reason: "(NO_IMAGE)"},
		{name: "text only", fault: fakeupstream.FaultTextOnly{Text: "Sure, here is a lighthouse!"},
			images: -1, class: imagegen.ClassNoImage,
			reason: "the model answered with text only: Sure, here is a lighthouse!",
			check: func(t *testing.T, _ imagegen.Result, e *imagegen.Error) {
				if e.Usage.TextTokens != 12 || e.Usage.ImageTokens != 0 {
					t.Errorf("text-only usage %+v, want 12 text tokens", e.Usage)
				}
			}},
		{name: "drafts before final", fault: fakeupstream.FaultDrafts{N: 2}, images: 1,
			mime: "image/png", check: func(t *testing.T, res imagegen.Result, _ *imagegen.Error) {
				// Drafts are half size: the full-size one is the final.
				if w := res.Images[0].Width; w != 1024 {
					t.Errorf("picked a %d px wide image, want the 1024 px final", w)
				}
				if res.Usage.ThoughtTokens != 2*258 || res.Usage.ImageTokens != 1290 {
					t.Errorf("usage %+v, want 516 thought and 1290 image tokens", res.Usage)
				}
			}},
		{name: "only image is a thought", fault: fakeupstream.FaultOnlyThought{}, images: 1,
			mime: "image/png"},
		{name: "wrong mime type", fault: fakeupstream.FaultWrongMIME{}, images: 1,
			mime: "image/jpeg"},
		{name: "hollow usage", fault: fakeupstream.FaultHollowUsage{}, images: 1,
			mime: "image/png", check: notReported},
		{name: "absent usage", fault: fakeupstream.FaultNoUsage{}, images: 1,
			mime: "image/png", check: notReported},
		{name: "invalid base64", fault: fakeupstream.FaultBadBase64{}, images: -1,
			class: imagegen.ClassTransient, reason: "malformed"},
		{name: "malformed json", fault: fakeupstream.FaultMalformed{}, images: -1,
			class: imagegen.ClassTransient, reason: "malformed"},
	}
	shapes = append(shapes, errorShapes()...)
	for _, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			fake, g := newGemini(t, testKey)
			fake.Script(geminiModel, s.fault)
			res, err := g.Generate(t.Context(), imagegen.Request{
				Model: geminiModel, Prompt: prompt, AspectRatio: "1:1", Count: 1})
			checkShape(t, s, res, err)
			if n := fake.Stats(geminiModel).Requests; n != 1 {
				t.Errorf("upstream saw %d requests, want exactly 1 (no retry inside)", n)
			}
		})
	}
}

// errorShapes are the HTTP-level faults both protocols share.
func errorShapes() []shape {
	return []shape{
		{name: "429 retry info", fault: fakeupstream.FaultRateLimit{Delay: 1500 * time.Millisecond},
			images: -1, class: imagegen.ClassRateLimited, reason: "per-minute",
			check: retryAfter(1500 * time.Millisecond)},
		{name: "429 bare", fault: fakeupstream.FaultBare429{RetryAfter: "7"}, images: -1,
			class: imagegen.ClassRateLimited, check: retryAfter(7 * time.Second)},
		{name: "429 array", fault: fakeupstream.FaultArray429{Delay: 2250 * time.Millisecond},
			images: -1, class: imagegen.ClassRateLimited, check: retryAfter(2250 * time.Millisecond)},
		{name: "429 vertex style", fault: fakeupstream.FaultVertex429{}, images: -1,
			class: imagegen.ClassRateLimited, check: retryAfter(0)},
		{name: "429 billing", fault: fakeupstream.FaultBilling{}, images: -1,
			class: imagegen.ClassBillingStop, reason: "prepayment credits are depleted"},
		{name: "429 per day", fault: fakeupstream.FaultDaily{Delay: time.Hour}, images: -1,
			class: imagegen.ClassDailyQuota, reason: "daily quota"},
		{name: "400 blocked prompt", fault: fakeupstream.FaultBlockedPrompt{}, images: -1,
			class: imagegen.ClassBlocked, reason: "refused the prompt"},
		{name: "400 other", fault: fakeupstream.FaultStatus{Code: 400}, images: -1,
			class: imagegen.ClassBadRequest, reason: "rejected the request (400 INVALID_ARGUMENT)"},
		{name: "500", fault: fakeupstream.FaultStatus{Code: 500}, images: -1,
			class: imagegen.ClassTransient, reason: "(500 INTERNAL)"},
		{name: "503", fault: fakeupstream.FaultStatus{Code: 503}, images: -1,
			class: imagegen.ClassOverload, reason: "overloaded"},
		{name: "dropped connection", fault: fakeupstream.FaultDrop{}, images: -1,
			class: imagegen.ClassTransient, reason: "dropped"},
	}
}

// checkShape asserts what the provider made of one shape.
func checkShape(t *testing.T, s shape, res imagegen.Result, err error) {
	t.Helper()
	if s.images < 0 {
		e := asError(t, err)
		if e.Class != s.class {
			t.Fatalf("class %d (%q), want %d", e.Class, e.Reason, s.class)
		}
		if !strings.Contains(e.Reason, s.reason) {
			t.Errorf("reason %q does not contain %q", e.Reason, s.reason)
		}
		if s.check != nil {
			s.check(t, res, e)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error %v", err)
	}
	if len(res.Images) != s.images {
		t.Fatalf("got %d images, want %d", len(res.Images), s.images)
	}
	for _, img := range res.Images {
		if img.MIME != s.mime {
			t.Errorf("MIME %q, want %q (from the bytes)", img.MIME, s.mime)
		}
	}
	if s.check != nil {
		s.check(t, res, nil)
	}
}

func notReported(t *testing.T, res imagegen.Result, _ *imagegen.Error) {
	if res.Usage.Reported {
		t.Errorf("usage %+v reported, want not reported (never 0 tokens)", res.Usage)
	}
}

func retryAfter(want time.Duration) func(*testing.T, imagegen.Result, *imagegen.Error) {
	return func(t *testing.T, _ imagegen.Result, e *imagegen.Error) {
		if e.RetryAfter != want {
			t.Errorf("RetryAfter %v, want %v", e.RetryAfter, want)
		}
	}
}

func TestGeminiSlowAnswerTimesOut(t *testing.T) {
	fake, g := newGemini(t, testKey)
	fake.Script(geminiModel, fakeupstream.FaultSlow{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := g.Generate(ctx, imagegen.Request{Model: geminiModel, Prompt: "x", Count: 1})
	e := asError(t, err)
	if e.Class != imagegen.ClassTransient || !strings.Contains(e.Reason, "in time") {
		t.Errorf("got class %d %q, want transient timeout", e.Class, e.Reason)
	}
}

func TestGeminiOneImagePerCall(t *testing.T) {
	fake, g := newGemini(t, testKey)
	_, err := g.Generate(t.Context(), imagegen.Request{Model: geminiModel, Prompt: "x", Count: 2})
	if e := asError(t, err); e.Class != imagegen.ClassBadRequest {
		t.Errorf("class %d, want bad request", e.Class)
	}
	if n := fake.Total().Requests; n != 0 {
		t.Errorf("upstream saw %d requests, want none", n)
	}
}

func TestGeminiWrongKey(t *testing.T) {
	_, g := newGemini(t, "AIzaWRONG-key-987654321")
	_, err := g.Generate(t.Context(), imagegen.Request{Model: geminiModel, Prompt: "x", Count: 1})
	e := asError(t, err)
	if e.Class != imagegen.ClassBadRequest || !strings.Contains(e.Reason, "rejected the key") {
		t.Errorf("got class %d %q, want the key rejected", e.Class, e.Reason)
	}
	if strings.Contains(e.Reason, "WRONG") {
		t.Errorf("reason quotes the key: %q", e.Reason)
	}
}

// TestGeminiContract checks the request the SDK sends, field by field,
// against the documented generateContent shape.
func TestGeminiContract(t *testing.T) {
	fake, g := newGemini(t, testKey)
	_, err := g.Generate(t.Context(), imagegen.Request{Model: geminiModel,
		Prompt: "a teapot", AspectRatio: "9:16", Size: "2K", Seed: 42, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/v1/models/"+geminiModel+":generateContent" {
		t.Errorf("sent %s %s", r.Method, r.Path)
	}
	if got := r.Header.Get("x-goog-api-key"); got != testKey {
		t.Errorf("x-goog-api-key %q", got)
	}
	if r.Header.Get("Authorization") != "" || strings.Contains(r.Query, "key=") {
		t.Errorf("key sent outside x-goog-api-key: %q %q", r.Header.Get("Authorization"), r.Query)
	}
	var body struct {
		Contents []struct {
			Role  string `json:"role"`
			Parts []map[string]any
		} `json:"contents"`
		GenerationConfig map[string]any `json:"generationConfig"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Contents) != 1 || body.Contents[0].Role != "user" ||
		len(body.Contents[0].Parts) != 1 || body.Contents[0].Parts[0]["text"] != "a teapot" {
		t.Errorf("contents %+v", body.Contents)
	}
	gc := body.GenerationConfig
	wantJSON(t, gc["responseModalities"], `["TEXT","IMAGE"]`)
	wantJSON(t, gc["imageConfig"], `{"aspectRatio":"9:16","imageSize":"2K"}`)
	wantJSON(t, gc["seed"], `42`)
	if _, ok := gc["candidateCount"]; ok {
		t.Errorf("candidateCount sent: %v", gc["candidateCount"])
	}
	for k := range gc {
		if k != "responseModalities" && k != "imageConfig" && k != "seed" {
			t.Errorf("unexpected generationConfig field %q", k)
		}
	}
}

// wantJSON compares a decoded value with a JSON literal.
func wantJSON(t *testing.T, got any, want string) {
	t.Helper()
	b, _ := json.Marshal(got)
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

// TestGeminiNCalls asks three images as three calls with the second
// blocked: two images come back, each call billed on its own.
func TestGeminiNCalls(t *testing.T) {
	fake, g := newGemini(t, testKey)
	fake.Script(geminiModel, fakeupstream.FaultOK{},
		fakeupstream.FaultOutputBlocked{FinishReason: "IMAGE_SAFETY"}, fakeupstream.FaultOK{})
	var images int
	var blocked []imagegen.Usage
	for range 3 {
		res, err := g.Generate(t.Context(), imagegen.Request{
			Model: geminiModel, Prompt: "three cats", Count: 1})
		if err != nil {
			blocked = append(blocked, asError(t, err).Usage)
			continue
		}
		images += len(res.Images)
	}
	if images != 2 || len(blocked) != 1 || !blocked[0].Reported {
		t.Errorf("images %d, blocked %+v; want 2 images and one billed block", images, blocked)
	}
	if n := fake.Stats(geminiModel).Requests; n != 3 {
		t.Errorf("%d upstream calls, want 3", n)
	}
}
