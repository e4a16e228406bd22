package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/png"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/genai"

	"atelier/db"
	"atelier/imagegen"
	"atelier/imagegen/fakeupstream"
	"atelier/internal/testapp"
)

// upstreamKey is the provider key Atelier holds; scripts never see it.
const upstreamKey = "AIzaUPSTREAM-0123456789"

// withFake starts an app whose Gemini and Imagen providers talk to a fake
// upstream, next to the offline renderer.
func withFake(t *testing.T, o testapp.Options) (*testapp.App, *fakeupstream.Server) {
	t.Helper()
	fake := fakeupstream.New(fakeupstream.Config{APIKey: upstreamKey})
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	cat := imagegen.DefaultCatalog()
	gem, err := imagegen.NewGemini(t.Context(), imagegen.GeminiConfig{APIKey: upstreamKey,
		BaseURL: ts.URL, HTTPClient: ts.Client(), Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	imn, err := imagegen.NewImagen(t.Context(), imagegen.ImagenConfig{APIKey: upstreamKey,
		BaseURL: ts.URL, HTTPClient: ts.Client(), Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	o.Catalog = cat
	o.Providers = map[imagegen.Protocol]imagegen.Provider{
		imagegen.ProtocolOffline: imagegen.NewOffline(),
		imagegen.ProtocolGemini:  gem, imagegen.ProtocolImagen: imn}
	return testapp.New(t, o), fake
}

// sdk returns the official client pointed at Atelier with a member's key.
func sdk(t *testing.T, app *testapp.App, key, version string) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(t.Context(), &genai.ClientConfig{APIKey: key,
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: app.URL, APIVersion: version}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// bearer adds a fixed Authorization header, as Vertex clients send their
// access token.
type bearer struct{ key string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return http.DefaultTransport.RoundTrip(r)
}

// vertexSDK returns the official client on the Vertex backend pointed at
// Atelier, carrying the member's key as its bearer token.
func vertexSDK(t *testing.T, app *testapp.App, key string) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(t.Context(), &genai.ClientConfig{
		Backend: genai.BackendVertexAI, Project: "team", Location: "us-central1",
		HTTPClient:  &http.Client{Transport: bearer{key}},
		HTTPOptions: genai.HTTPOptions{BaseURL: app.URL}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// memberImages lists a member's images in the gallery.
func memberImages(t *testing.T, app *testapp.App, m db.Member) []db.Image {
	t.Helper()
	imgs, _, err := app.DB.Gallery(context.Background(), db.GalleryQuery{Member: m.ID,
		Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return imgs
}

// jobsOf lists a member's jobs with their spending.
func jobsOf(t *testing.T, app *testapp.App, m db.Member) []db.Job {
	t.Helper()
	js, err := app.DB.RecentJobs(context.Background(), m.ID, 500)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// checkLedger checks that the member's ledger holds nothing reserved and
// its spending equals the sum over their jobs.
func checkLedger(t *testing.T, app *testapp.App, m db.Member) (tokens, micros int64) {
	t.Helper()
	for _, j := range jobsOf(t, app, m) {
		tokens += j.SpentTokens
		micros += j.SpentMicros
	}
	q, err := app.DB.MemberQuota(context.Background(), m.ID, db.Budgets{})
	if err != nil {
		t.Fatal(err)
	}
	if q.DailyTokensUsed != tokens || q.MonthlyMicrosUsed != micros {
		t.Errorf("%s: ledger %d tokens %d micros, jobs %d tokens %d micros", m.Name,
			q.DailyTokensUsed, q.MonthlyMicrosUsed, tokens, micros)
	}
	return tokens, micros
}

// firstImage returns the decoded first inline image of an answer.
func firstImage(t *testing.T, resp *genai.GenerateContentResponse) image.Image {
	t.Helper()
	for _, p := range resp.Candidates[0].Content.Parts {
		if p.InlineData != nil {
			img, _, err := image.Decode(bytes.NewReader(p.InlineData.Data))
			if err != nil {
				t.Fatal(err)
			}
			return img
		}
	}
	t.Fatal("no image in the answer")
	return nil
}

func TestSDKGenerateContent(t *testing.T) {
	app, _ := withFake(t, testapp.Options{})
	ada := app.AddMember(t, "ada", "correct horse battery", false)
	key := newKey(t, app, ada)

	cases := []struct{ version, model string }{
		{"v1", "offline"}, {"v1beta", "offline"},
		{"v1", "gemini-2.5-flash-image"}, {"v1beta", "gemini-2.5-flash-image"},
	}
	for i, c := range cases {
		t.Run(c.version+"/"+c.model, func(t *testing.T) {
			prompt := fmt.Sprintf("a red fox in the snow number %d", i)
			resp, err := sdk(t, app, key, c.version).Models.GenerateContent(t.Context(),
				c.model, genai.Text(prompt), &genai.GenerateContentConfig{
					ResponseModalities: []string{"IMAGE"},
					ImageConfig:        &genai.ImageConfig{AspectRatio: "16:9"}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Candidates[0].FinishReason != genai.FinishReasonStop {
				t.Errorf("finish reason %q", resp.Candidates[0].FinishReason)
			}
			b := firstImage(t, resp).Bounds()
			if b.Dx() <= b.Dy() {
				t.Errorf("16:9 image is %v", b)
			}

			// The provider's usage comes back as the real API reports it.
			if c.model != "offline" {
				u := resp.UsageMetadata
				want := int32(fakeupstream.PromptTokens(prompt))
				if u == nil || u.PromptTokenCount != want || u.CandidatesTokenCount < 1290 {
					t.Errorf("usage = %+v, want %d prompt tokens", u, want)
				}
			}
		})
	}

	// Every image landed in the gallery and is charged to ada.
	if n := len(memberImages(t, app, ada)); n != len(cases) {
		t.Errorf("gallery holds %d of ada's images, want %d", n, len(cases))
	}
	if tok, mic := checkLedger(t, app, ada); tok != int64(len(cases)) || mic == 0 {
		t.Errorf("ada charged %d tokens %d micros", tok, mic)
	}
	for _, j := range jobsOf(t, app, ada) {
		if j.Status != db.StatusDone {
			t.Errorf("job %d %s: %s", j.ID, j.Status, j.Reason)
		}
	}
}

func TestSDKGenerateImagesVertex(t *testing.T) {
	app, fake := withFake(t, testapp.Options{})
	ada := app.AddMember(t, "ada", "correct horse battery", false)
	client := vertexSDK(t, app, newKey(t, app, ada))

	for _, model := range []string{"imagen-4.0-generate-001", "offline"} {
		resp, err := client.Models.GenerateImages(t.Context(), model, "a tidy workshop",
			&genai.GenerateImagesConfig{NumberOfImages: 2, AspectRatio: "3:4",
				IncludeRAIReason: true})
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		if len(resp.GeneratedImages) != 2 {
			t.Fatalf("%s: %d images", model, len(resp.GeneratedImages))
		}
		for _, gi := range resp.GeneratedImages {
			img, _, err := image.Decode(bytes.NewReader(gi.Image.ImageBytes))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() >= b.Dy() {
				t.Errorf("%s: 3:4 image is %v", model, b)
			}
		}
	}

	// The Imagen call went upstream with Atelier's key, not the member's.
	if st := fake.Stats("imagen-4.0-generate-001"); st.OK != 1 {
		t.Errorf("upstream saw %+v", st)
	}
	for _, r := range fake.Requests() {
		if r.Header.Get("x-goog-api-key") != upstreamKey {
			t.Errorf("upstream call without the team's key: %v", r.Header)
		}
	}
	if n := len(memberImages(t, app, ada)); n != 4 {
		t.Errorf("gallery holds %d images, want 4", n)
	}
	if tok, mic := checkLedger(t, app, ada); tok != 4 || mic != 2*40_000 {
		t.Errorf("ada charged %d tokens %d micros, want 4 and two Imagen images", tok, mic)
	}
}

// rawGemini posts a body to a Gemini-protocol path.
func rawGemini(t *testing.T, app *testapp.App, path string, hdr map[string]string,
	body string) apiResponse {
	t.Helper()
	req, _ := http.NewRequest("POST", app.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return apiResponse{Status: res.StatusCode, Header: res.Header, Body: b.Bytes()}
}

// googleErr reads Google's error shape.
func googleErr(t *testing.T, r apiResponse) genai.APIError {
	t.Helper()
	var v struct{ Error *genai.APIError }
	r.decode(t, &v)
	if v.Error == nil {
		t.Fatalf("status %d: not Google's error shape: %s", r.Status, r.Body)
	}
	return *v.Error
}

func TestGeminiProtocolRefusals(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ada := app.AddMember(t, "ada", "correct horse battery", false)
	bo := app.AddMember(t, "bo", "correct horse battery", false)
	adaKey, boKey := newKey(t, app, ada), newKey(t, app, bo)
	const path = "/v1beta/models/offline:generateContent"
	ok := `{"contents":[{"parts":[{"text":"a fox"}]}]}`
	goog := func(key string) map[string]string { return map[string]string{"x-goog-api-key": key} }

	// Revoke ada's key and disable bo.
	keys, _ := app.DB.APIKeys(context.Background(), ada.ID)
	if err := app.DB.RevokeAPIKey(context.Background(), ada.ID, keys[0].ID); err != nil {
		t.Fatal(err)
	}
	bo.Disabled = true
	if err := app.DB.UpdateMember(context.Background(), bo); err != nil {
		t.Fatal(err)
	}
	cy := app.AddMember(t, "cy", "correct horse battery", false)
	cyKey := newKey(t, app, cy)

	cases := []struct {
		name   string
		hdr    map[string]string
		body   string
		status int
		code   string
	}{
		{"missing key", nil, ok, 401, "UNAUTHENTICATED"},
		{"revoked key", goog(adaKey), ok, 401, "UNAUTHENTICATED"},
		{"revoked bearer", map[string]string{"Authorization": "Bearer " + adaKey}, ok, 401,
			"UNAUTHENTICATED"},
		{"disabled member", goog(boKey), ok, 401, "UNAUTHENTICATED"},
		{"malformed json", goog(cyKey), `{"contents":[{"parts":[{"text":"a`, 400,
			"INVALID_ARGUMENT"},
		{"contents of wrong type", goog(cyKey), `{"contents":"a fox"}`, 400,
			"INVALID_ARGUMENT"},
		{"seed of wrong type", goog(cyKey), `{"contents":[{"parts":[{"text":"a fox"}]}],` +
			`"generationConfig":{"seed":"abc"}}`, 400, "INVALID_ARGUMENT"},
		{"text of wrong type", goog(cyKey), `{"contents":[{"parts":[{"text":7}]}]}`, 400,
			"INVALID_ARGUMENT"},
		{"no prompt", goog(cyKey), `{"contents":[]}`, 400, "INVALID_ARGUMENT"},
		{"bad aspect ratio", goog(cyKey), `{"contents":[{"parts":[{"text":"a fox"}]}],` +
			`"generationConfig":{"imageConfig":{"aspectRatio":"7:1"}}}`, 400,
			"INVALID_ARGUMENT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := rawGemini(t, app, path, c.hdr, c.body)
			e := googleErr(t, res)
			if res.Status != c.status || e.Code != c.status || e.Status != c.code {
				t.Fatalf("got %d %s, want %d %s", res.Status, res.Body, c.status, c.code)
			}
		})
	}

	// A revoked key fails through the SDK too, as an APIError.
	_, err := sdk(t, app, adaKey, "v1").Models.GenerateContent(t.Context(), "offline",
		genai.Text("a fox"), nil)
	var apiErr genai.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 401 {
		t.Errorf("SDK with a revoked key: %v", err)
	}
	if n := len(jobsOf(t, app, cy)); n != 0 {
		t.Errorf("refused requests made %d jobs", n)
	}
}

func TestGeminiProtocolBudgetExhausted(t *testing.T) {
	app := testapp.New(t, testapp.Options{Budgets: db.Budgets{DailyTokens: 2}})
	ada := app.AddMember(t, "ada", "correct horse battery", false)
	client := sdk(t, app, newKey(t, app, ada), "v1")

	// Two images fit the budget; the third is refused.
	for range 2 {
		if _, err := client.Models.GenerateContent(t.Context(), "offline",
			genai.Text("a fox"), nil); err != nil {
			t.Fatal(err)
		}
	}
	_, err := client.Models.GenerateContent(t.Context(), "offline", genai.Text("a fox"), nil)
	var apiErr genai.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 429 || apiErr.Status != "RESOURCE_EXHAUSTED" {
		t.Fatalf("third call: %v", err)
	}

	// RetryInfo and Retry-After both carry the time to the daily reset.
	res := rawGemini(t, app, "/v1/models/offline:generateContent",
		map[string]string{"Authorization": "Bearer " + newKey(t, app, ada)},
		`{"contents":[{"parts":[{"text":"a fox"}]}]}`)
	q, _ := app.DB.MemberQuota(context.Background(), ada.ID, app.Runner.Budgets())
	want := time.Until(q.DayResetAt).Seconds()
	after, _ := strconv.ParseFloat(res.Header.Get("Retry-After"), 64)
	if res.Status != 429 || after < want-2 || after > want+2 {
		t.Fatalf("Retry-After %q, want about %.0f s (status %d)",
			res.Header.Get("Retry-After"), want, res.Status)
	}
	e := googleErr(t, res)
	var delay string
	var quotaFailure bool
	for _, d := range e.Details {
		switch d["@type"] {
		case "type.googleapis.com/google.rpc.RetryInfo":
			delay, _ = d["retryDelay"].(string)
		case "type.googleapis.com/google.rpc.QuotaFailure":
			quotaFailure = true
		}
	}
	if delay != res.Header.Get("Retry-After")+"s" || !quotaFailure {
		t.Errorf("details %v: retryDelay %q", e.Details, delay)
	}
}
