package fakeupstream

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// post sends one generateContent call to the handler.
func post(s *Server, model, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/v1beta/models/"+model+":generateContent",
		strings.NewReader(body))
	r.Header.Set("x-goog-api-key", "k")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

const genBody = `{"contents":[{"role":"user","parts":[{"text":"a cat"}]}]}`

// retryDelay reads the RetryInfo delay of a 429 body.
func retryDelay(t *testing.T, body []byte) time.Duration {
	t.Helper()
	var b struct {
		Error struct {
			Status  string           `json:"status"`
			Details []map[string]any `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Error.Status != "RESOURCE_EXHAUSTED" {
		t.Fatalf("not a 429 body: %s", body)
	}
	for _, d := range b.Error.Details {
		if s, ok := d["retryDelay"].(string); ok {
			dur, err := time.ParseDuration(s)
			if err != nil {
				t.Fatal(err)
			}
			return dur
		}
	}
	t.Fatalf("no RetryInfo in %s", body)
	return 0
}

func TestSlidingWindowRPM(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)}
	s := New(Config{Now: clk.now, DefaultLimits: Limits{RPM: 3}})
	start := clk.t

	// Three calls spread over 20 s fill the window.
	for i := range 3 {
		clk.t = start.Add(time.Duration(i) * 10 * time.Second)
		if w := post(s, "m", genBody); w.Code != 200 {
			t.Fatalf("call %d: %d %s", i, w.Code, w.Body)
		}
	}

	// The fourth, at 30.5 s, waits until the first falls out at 60 s.
	clk.t = start.Add(30500 * time.Millisecond)
	w := post(s, "m", genBody)
	if w.Code != 429 {
		t.Fatalf("4th call answered %d, want 429", w.Code)
	}
	if got := retryDelay(t, w.Body.Bytes()); got != 29500*time.Millisecond {
		t.Errorf("retry delay %v, want 29.5s", got)
	}

	// Just before 60 s still refused; at 60 s admitted; then the next
	// waits for the second stamp (at 10 s) to fall out at 70 s.
	clk.t = start.Add(60*time.Second - time.Millisecond)
	if w := post(s, "m", genBody); w.Code != 429 {
		t.Errorf("at 59.999s answered %d, want 429", w.Code)
	}
	clk.t = start.Add(60 * time.Second)
	if w := post(s, "m", genBody); w.Code != 200 {
		t.Errorf("at 60s answered %d, want 200", w.Code)
	}
	w = post(s, "m", genBody)
	if got := retryDelay(t, w.Body.Bytes()); got != 10*time.Second {
		t.Errorf("retry delay %v, want 10s", got)
	}
	if st := s.Stats("m"); st.Requests != 7 || st.OK != 4 || st.RateLimited != 3 {
		t.Errorf("stats %+v, want 7 requests, 4 OK, 3 rate limited", st)
	}
}

func TestSlidingWindowTPM(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)}
	s := New(Config{Now: clk.now, DefaultLimits: Limits{TPM: 6}})
	start := clk.t
	predict := func(n int) *httptest.ResponseRecorder {
		body := `{"instances":[{"prompt":"x"}],"parameters":{"sampleCount":` +
			string(rune('0'+n)) + `}}`
		r := httptest.NewRequest("POST", "/v1beta/models/imagen:predict", strings.NewReader(body))
		r.Header.Set("x-goog-api-key", "k")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}

	// 4 images at 0 s and 2 at 5 s fill 6 tokens; 3 more must wait for
	// the first call's 4 to fall out at 60 s.
	if w := predict(4); w.Code != 200 {
		t.Fatal(w.Body)
	}
	clk.t = start.Add(5 * time.Second)
	if w := predict(2); w.Code != 200 {
		t.Fatal(w.Body)
	}
	clk.t = start.Add(20 * time.Second)
	w := predict(3)
	if w.Code != 429 {
		t.Fatalf("answered %d, want 429", w.Code)
	}
	if got := retryDelay(t, w.Body.Bytes()); got != 40*time.Second {
		t.Errorf("retry delay %v, want 40s", got)
	}
	if !strings.Contains(w.Body.String(), "PerMinute") {
		t.Errorf("429 does not name a per-minute quota: %s", w.Body)
	}
}

func TestRPDResetsAtPacificMidnight(t *testing.T) {
	// 07:00 UTC on 6 Jan is 23:00 Pacific (PST) on 5 Jan.
	clk := &clock{t: time.Date(2026, 1, 6, 7, 0, 0, 0, time.UTC)}
	s := New(Config{Now: clk.now, DefaultLimits: Limits{RPD: 1}})
	if w := post(s, "m", genBody); w.Code != 200 {
		t.Fatal(w.Body)
	}
	w := post(s, "m", genBody)
	if got := retryDelay(t, w.Body.Bytes()); got != time.Hour {
		t.Errorf("retry delay %v, want 1h until midnight Pacific", got)
	}
	if !strings.Contains(w.Body.String(), "PerDay") {
		t.Errorf("429 does not name a per-day quota: %s", w.Body)
	}
	clk.t = clk.t.Add(time.Hour)
	if w := post(s, "m", genBody); w.Code != 200 {
		t.Errorf("after midnight Pacific answered %d, want 200", w.Code)
	}
}

func TestScriptedFaultSurvivesRateLimit(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)}
	s := New(Config{Now: clk.now, DefaultLimits: Limits{RPM: 1}})
	post(s, "m", genBody)
	s.Script("m", FaultNoImage{})

	// The window refuses the call; the scripted answer waits its turn.
	if w := post(s, "m", genBody); w.Code != 429 {
		t.Fatalf("answered %d, want 429", w.Code)
	}
	clk.t = clk.t.Add(time.Minute)
	w := post(s, "m", genBody)
	if !strings.Contains(w.Body.String(), `"NO_IMAGE"`) {
		t.Errorf("scripted NO_IMAGE not served: %s", w.Body)
	}
}

func TestRefusals(t *testing.T) {
	s := New(Config{APIKey: "right"})
	cases := []struct {
		name, key, body string
		want            int
	}{
		{"candidate count", "right", `{"contents":[{"parts":[{"text":"x"}]}],` +
			`"generationConfig":{"candidateCount":2}}`, 400},
		{"missing key", "", genBody, 403},
		{"wrong key", "wrong", genBody, 400},
		{"bad aspect", "right", `{"contents":[{"parts":[{"text":"x"}]}],` +
			`"generationConfig":{"imageConfig":{"aspectRatio":"5:4"}}}`, 400},
		{"ok", "right", genBody, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/models/m:generateContent",
				strings.NewReader(c.body))
			if c.key != "" {
				r.Header.Set("x-goog-api-key", c.key)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != c.want {
				t.Errorf("answered %d, want %d: %s", w.Code, c.want, w.Body)
			}
		})
	}
}

func TestVertexNeedsBearer(t *testing.T) {
	s := New(Config{BearerToken: "tok"})
	path := "/v1beta1/projects/p/locations/l/publishers/google/models/imagen:predict"
	for auth, want := range map[string]int{"": 401, "Bearer bad": 401, "Bearer tok": 200} {
		r := httptest.NewRequest("POST", path,
			strings.NewReader(`{"instances":[{"prompt":"x"}],"parameters":{"sampleCount":1}}`))
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Authorization %q: %d, want %d", auth, w.Code, want)
		}
	}
}
