package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"atelier/db"
	"atelier/internal/testapp"
)

// newKey makes an API key for a member straight in the database.
func newKey(t *testing.T, app *testapp.App, m db.Member) string {
	t.Helper()
	_, key, err := app.DB.CreateAPIKey(context.Background(), m.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// apiResponse is a JSON API answer.
type apiResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// decode parses the body into v.
func (r apiResponse) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("status %d, body %s: %v", r.Status, r.Body, err)
	}
}

// apiError reads the body as the JSON API's error.
func (r apiResponse) apiError(t *testing.T) map[string]any {
	t.Helper()
	var v struct{ Error map[string]any }
	r.decode(t, &v)
	if v.Error == nil {
		t.Fatalf("status %d: no error object in %s", r.Status, r.Body)
	}
	return v.Error
}

// apiCall sends a request as a script would: no cookies, no browser
// headers, the key as a Bearer token.
func apiCall(t *testing.T, app *testapp.App, key, method, path, body string) apiResponse {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, app.URL+path, rd)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return apiResponse{Status: res.StatusCode, Header: res.Header, Body: b}
}

// generation is the part of a generation answer the tests read.
type generation struct {
	ID            int64
	Status        string
	QueuePosition *int   `json:"queue_position"`
	ETASeconds    *int64 `json:"eta_seconds"`
	Tokens        int64
	USD           string
	Images        []struct {
		ID     int64
		URL    string
		Width  int
		Height int
	}
}

func TestAPIGenerationFlow(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ada := app.AddMember(t, "ada", "correct horse battery", false)
	key := newKey(t, app, ada)

	// Submit: 202 with the job and where to poll it.
	res := apiCall(t, app, key, "POST", "/api/v1/generations",
		`{"prompt":"a lighthouse at dusk","model":"offline","aspect_ratio":"16:9","count":2,"seed":7}`)
	if res.Status != http.StatusAccepted {
		t.Fatalf("submit: %d %s", res.Status, res.Body)
	}
	var g generation
	res.decode(t, &g)
	if res.Header.Get("Location") != "/api/v1/generations/"+itoa(g.ID) {
		t.Errorf("Location %q", res.Header.Get("Location"))
	}
	app.WaitJobs(t, g.ID)

	// Status: done, two images with working URLs, charged.
	res = apiCall(t, app, key, "GET", "/api/v1/generations/"+itoa(g.ID), "")
	res.decode(t, &g)
	if g.Status != "done" || len(g.Images) != 2 || g.Tokens != 2 {
		t.Fatalf("generation = %s", res.Body)
	}
	if g.Images[0].Width <= g.Images[0].Height {
		t.Errorf("16:9 image is %dx%d", g.Images[0].Width, g.Images[0].Height)
	}
	img := apiCall(t, app, key, "GET", g.Images[0].URL, "")
	if img.Status != 200 || img.Header.Get("Content-Type") != "image/png" ||
		!bytes.HasPrefix(img.Body, []byte("\x89PNG")) {
		t.Fatalf("image bytes: %d %s", img.Status, img.Header.Get("Content-Type"))
	}

	// The images are listed, filtered to the member, a page at a time.
	var page struct {
		Images []struct{ ID int64 }
		Next   string `json:"next_cursor"`
	}
	apiCall(t, app, key, "GET", "/api/v1/images?member=me&limit=1", "").decode(t, &page)
	if len(page.Images) != 1 || page.Next == "" {
		t.Fatalf("first page = %+v", page)
	}
	first := page.Images[0].ID
	apiCall(t, app, key, "GET", "/api/v1/images?member=me&limit=1&cursor="+
		url.QueryEscape(page.Next), "").decode(t, &page)
	if len(page.Images) != 1 || page.Images[0].ID == first {
		t.Fatalf("second page = %+v", page)
	}
	var rec struct {
		ID             int64
		Prompt, Author string
	}
	apiCall(t, app, key, "GET", "/api/v1/images/"+itoa(first), "").decode(t, &rec)
	if rec.ID != first || rec.Prompt != "a lighthouse at dusk" || rec.Author != "ada" {
		t.Errorf("image record = %+v", rec)
	}

	// Another member's key does not see the job.
	bo := app.AddMember(t, "bo", "correct horse battery", false)
	res = apiCall(t, app, newKey(t, app, bo), "GET", "/api/v1/generations/"+itoa(g.ID), "")
	if res.Status != 404 || res.apiError(t)["code"] != "not_found" {
		t.Errorf("other member: %d %s", res.Status, res.Body)
	}
}

func TestAPIErrors(t *testing.T) {
	app := testapp.New(t, testapp.Options{Budgets: db.Budgets{DailyTokens: 1}})
	ada := app.AddMember(t, "ada", "correct horse battery", false)
	key := newKey(t, app, ada)
	ok := `{"prompt":"a fox","model":"offline","aspect_ratio":"1:1"}`

	cases := []struct {
		name, key, body string
		status          int
		code            string
		fields          []string
	}{
		{"missing key", "", ok, 401, "unauthorized", nil},
		{"unknown key", "atl_nope", ok, 401, "unauthorized", nil},
		{"malformed json", key, `{"prompt":`, 400, "bad_request", nil},
		{"wrong type", key, `{"prompt":"a fox","model":"offline","count":"two"}`, 400,
			"bad_request", nil},
		{"unknown field", key, `{"prompt":"a fox","modle":"offline"}`, 400, "bad_request", nil},
		{"invalid fields", key, `{"prompt":"","model":"offline","count":9,"size":"8K"}`,
			422, "invalid", []string{"prompt", "count", "size"}},
		{"too large", key, `{"prompt":"` + strings.Repeat("x", 300<<10) + `"}`, 413,
			"too_large", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := apiCall(t, app, c.key, "POST", "/api/v1/generations", c.body)
			e := res.apiError(t)
			if res.Status != c.status || e["code"] != c.code {
				t.Fatalf("got %d %s, want %d %s", res.Status, res.Body, c.status, c.code)
			}
			fields, _ := e["fields"].(map[string]any)
			for _, f := range c.fields {
				if fields[f] == nil {
					t.Errorf("no message for field %s in %s", f, res.Body)
				}
			}
		})
	}

	// The budget of one token admits one image, then refuses with when
	// it resets.
	res := apiCall(t, app, key, "POST", "/api/v1/generations", ok)
	if res.Status != 202 {
		t.Fatalf("first job: %d %s", res.Status, res.Body)
	}
	res = apiCall(t, app, key, "POST", "/api/v1/generations", ok)
	e := res.apiError(t)
	reset, _ := time.Parse(time.RFC3339, e["resets_at"].(string))
	if res.Status != 429 || e["code"] != "budget_exhausted" || e["budget"] != "daily tokens" ||
		reset.Before(time.Now()) || res.Header.Get("Retry-After") == "" {
		t.Fatalf("over budget: %d %v %s", res.Status, res.Header, res.Body)
	}

	// The quota says the same.
	var q struct {
		Daily struct {
			Limit, Remaining *int64
		} `json:"daily_tokens"`
	}
	apiCall(t, app, key, "GET", "/api/v1/quota", "").decode(t, &q)
	if q.Daily.Limit == nil || *q.Daily.Limit != 1 || *q.Daily.Remaining != 0 {
		t.Errorf("quota = %+v", q)
	}
}

// TestSettingsKeys creates, uses and revokes a key through the pages.
func TestSettingsKeys(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	app.AddMember(t, "ada", "correct horse battery", false)
	c := app.Login(t, "ada", "correct horse battery")

	res := c.PostForm("/settings/keys", url.Values{"name": {""}})
	if res.StatusCode != 422 || res.Doc(t).Find(`[data-testid="name-error"]`).Length() != 1 {
		t.Fatalf("empty name: %d", res.StatusCode)
	}

	res = c.PostForm("/settings/keys", url.Values{"name": {"notebook"}})
	key, _ := res.Doc(t).Find(`[data-testid="new-key-value"]`).Attr("value")
	if res.StatusCode != 200 || !strings.HasPrefix(key, db.APIKeyPrefix) {
		t.Fatalf("create: %d key %q", res.StatusCode, key)
	}
	if r := apiCall(t, app, key, "GET", "/api/v1/quota", ""); r.Status != 200 {
		t.Fatalf("new key refused: %d %s", r.Status, r.Body)
	}

	// The list shows the key by prefix only, used just now.
	page := c.Get("/settings")
	if strings.Contains(page.Body, key) {
		t.Fatal("the settings page shows the whole key again")
	}
	rows := page.Doc(t).Find(`[data-testid="keys"] tbody tr`)
	if rows.Length() != 1 || !strings.Contains(rows.Text(), "notebook") ||
		strings.Contains(rows.Text(), "never") {
		t.Fatalf("keys table: %q", rows.Text())
	}
	action, _ := rows.Find("form").Attr("action")

	// Revoked: refused at once.
	if res := c.PostForm(action, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if r := apiCall(t, app, key, "GET", "/api/v1/quota", ""); r.Status != 401 {
		t.Fatalf("revoked key: %d %s", r.Status, r.Body)
	}
	if res := c.PostForm(action, nil); res.StatusCode != 404 {
		t.Errorf("second revoke: %d", res.StatusCode)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
