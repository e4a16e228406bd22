package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"atelier/db"
	"atelier/imagegen"
	"atelier/internal/testapp"
	"atelier/quota"
)

// gate is a provider that holds every call until opened, so a test can
// see a job while it runs.
type gate struct {
	open chan struct{}
	once sync.Once
	next imagegen.Provider
}

func newGate() *gate {
	return &gate{open: make(chan struct{}), next: imagegen.NewOffline()}
}

// Generate waits for the gate, then renders offline.
func (g *gate) Generate(ctx context.Context,
	req imagegen.Request) (imagegen.Result, error) {
	select {
	case <-g.open:
	case <-ctx.Done():
		return imagegen.Result{}, ctx.Err()
	}
	return g.next.Generate(ctx, req)
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

// submit posts a generation and returns its id.
func submit(t *testing.T, app *testapp.App, key, body string) int64 {
	t.Helper()
	res := apiCall(t, app, key, "POST", "/api/v1/generations", body)
	if res.Status != http.StatusAccepted {
		t.Fatalf("submit: %d %s", res.Status, res.Body)
	}
	var g generation
	res.decode(t, &g)
	return g.ID
}

// jobStatus reads a job's status from the database.
func jobStatus(t *testing.T, app *testapp.App, id int64) string {
	t.Helper()
	j, err := app.DB.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j.Status
}

func TestAPICancel(t *testing.T) {
	// One request a minute and a held provider: the first job runs until
	// the gate opens, the next ones stay queued.
	g := newGate()
	app := testapp.New(t, testapp.Options{
		Providers: map[imagegen.Protocol]imagegen.Provider{imagegen.ProtocolOffline: g},
		Limits:    quota.Limits{RPM: 1, TPM: 100_000}})
	t.Cleanup(g.release)
	ada := app.AddMember(t, "ada", "correct horse battery", false)
	bo := app.AddMember(t, "bo", "correct horse battery", false)
	key, boKey := newKey(t, app, ada), newKey(t, app, bo)
	body := `{"prompt":"a kettle","model":"offline","count":2}`

	running := submit(t, app, key, body)
	waitFor(t, app, "the first job to start", func() bool {
		return jobStatus(t, app, running) == db.StatusRunning
	})
	submit(t, app, key, body)
	last := submit(t, app, key, body)
	if s := jobStatus(t, app, last); s != db.StatusQueued {
		t.Fatalf("third job is %s, want queued", s)
	}
	before, _ := app.DB.MemberQuota(context.Background(), ada.ID, db.Budgets{})

	// Another member cannot see, so cannot cancel, ada's job.
	path := "/api/v1/generations/" + itoa(last)
	for _, method := range []string{"DELETE", "POST"} {
		p := path
		if method == "POST" {
			p += "/cancel"
		}
		if res := apiCall(t, app, boKey, method, p, ""); res.Status != 404 {
			t.Errorf("%s by another member: %d %s", method, res.Status, res.Body)
		}
	}

	// A running job is past cancelling.
	res := apiCall(t, app, key, "DELETE", "/api/v1/generations/"+itoa(running), "")
	if res.Status != 409 || res.apiError(t)["code"] != "not_queued" {
		t.Fatalf("cancel running: %d %s", res.Status, res.Body)
	}

	// The queued one cancels, answers the job, and its hold comes back.
	res = apiCall(t, app, key, "POST", path+"/cancel", "")
	var got generation
	res.decode(t, &got)
	if res.Status != 200 || got.ID != last || got.Status != db.StatusCanceled {
		t.Fatalf("cancel queued: %d %s", res.Status, res.Body)
	}
	after, _ := app.DB.MemberQuota(context.Background(), ada.ID, db.Budgets{})
	j, _ := app.DB.Job(context.Background(), last)
	if before.DailyTokensUsed-after.DailyTokensUsed != j.EstTokens || j.EstTokens == 0 {
		t.Errorf("held %d tokens before, %d after; the job reserved %d",
			before.DailyTokensUsed, after.DailyTokensUsed, j.EstTokens)
	}
	if res := apiCall(t, app, key, "DELETE", path, ""); res.Status != 409 {
		t.Errorf("cancel twice: %d %s", res.Status, res.Body)
	}

	// Once done, the first job cannot be cancelled either.
	g.release()
	app.WaitJobs(t, running)
	res = apiCall(t, app, key, "POST", "/api/v1/generations/"+itoa(running)+"/cancel", "")
	if res.Status != 409 || res.apiError(t)["code"] != "not_queued" {
		t.Errorf("cancel done: %d %s", res.Status, res.Body)
	}
	if s := jobStatus(t, app, running); s != db.StatusDone {
		t.Errorf("first job ended %s", s)
	}
}

// TestAPIModels lists the models, with prices from the catalog.
func TestAPIModels(t *testing.T) {
	// Providers that are never called: they only make the models listed.
	g := newGate()
	providers := map[imagegen.Protocol]imagegen.Provider{
		imagegen.ProtocolOffline: imagegen.NewOffline(), imagegen.ProtocolGemini: g,
		imagegen.ProtocolImagen: g}
	app := testapp.New(t, testapp.Options{Providers: providers})
	t.Cleanup(g.release)
	key := newKey(t, app, app.AddMember(t, "ada", "correct horse battery", false))

	var list struct {
		Models []struct {
			ID, Protocol     string
			Offline, Default bool
			AspectRatios     []string `json:"aspect_ratios"`
			Sizes            []string
			MaxImages        int      `json:"max_images"`
			PricePerImage    *float64 `json:"price_per_image_usd"`
			TokenPrices      *struct {
				Input       float64
				ImageOutput float64 `json:"image_output"`
			} `json:"token_prices_usd_per_million"`
		}
	}
	apiCall(t, app, key, "GET", "/api/v1/models", "").decode(t, &list)
	want := app.Runner.Models()
	if len(list.Models) != len(want) {
		t.Fatalf("%d models listed, the runner offers %d", len(list.Models), len(want))
	}
	seen := map[imagegen.Protocol]bool{}
	for i, m := range list.Models {
		c := want[i]
		seen[c.Protocol] = true
		if m.ID != c.ID || m.Protocol != string(c.Protocol) || m.Offline != c.Offline ||
			m.Default != (i == 0) || m.MaxImages != 4 || len(m.AspectRatios) == 0 ||
			strings.Join(m.Sizes, ",") != strings.Join(c.Sizes, ",") {
			t.Errorf("model %d = %+v, catalog %+v", i, m, c)
		}
		switch {
		case c.TokenPriced():
			if m.TokenPrices == nil || m.PricePerImage != nil ||
				m.TokenPrices.Input != float64(c.PriceInputPerM)/1e6 ||
				m.TokenPrices.ImageOutput != float64(c.PriceImageOutPerM)/1e6 {
				t.Errorf("%s prices: %+v", m.ID, m)
			}
		case m.PricePerImage == nil || *m.PricePerImage != float64(c.PricePerImage)/1e6:
			t.Errorf("%s per-image price: %+v", m.ID, m)
		}
	}
	if !seen[imagegen.ProtocolGemini] || !seen[imagegen.ProtocolImagen] {
		t.Errorf("protocols listed: %v", seen)
	}
}

// TestAPIDefaultsAndSeed leaves the model out, and checks how the seed
// is reported.
func TestAPIDefaultsAndSeed(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	key := newKey(t, app, app.AddMember(t, "ada", "correct horse battery", false))

	res := apiCall(t, app, key, "POST", "/api/v1/generations", `{"prompt":"a pear"}`)
	var v map[string]any
	res.decode(t, &v)
	if res.Status != 202 || v["model"] != app.Runner.Models()[0].ID {
		t.Fatalf("no model: %d %s", res.Status, res.Body)
	}
	if _, ok := v["seed"]; ok {
		t.Errorf("a random seed is reported: %s", res.Body)
	}
	res = apiCall(t, app, key, "POST", "/api/v1/generations",
		`{"prompt":"a pear","seed":42}`)
	res.decode(t, &v)
	if v["seed"] != 42.0 {
		t.Errorf("seed 42 reported as %v", v["seed"])
	}
}

// TestAPIDecodeErrors checks that a body the decoder refuses is
// explained without Go's wording.
func TestAPIDecodeErrors(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	key := newKey(t, app, app.AddMember(t, "ada", "correct horse battery", false))
	cases := []struct{ body, want string }{
		{`{"prompt":"a fox","count":"two"}`, "count must be a number"},
		{`{"prompt":7}`, "prompt must be a string"},
		{`["a fox"]`, "the body must be a JSON object"},
		// The 11th byte, counted from 1, is the quote where a colon belongs.
		{`{"prompt" "a fox"}`, "the body is not valid JSON (at byte 11)"},
		{`{"prompt":`, "the body is not valid JSON (it ends too soon)"},
		{`{"prompt":"a fox","modle":"offline"}`, `"modle" is not a field of this request`},
		{`{"prompt":"a fox"} {}`, "the body must hold one JSON object and nothing after it"},
	}
	for _, c := range cases {
		res := apiCall(t, app, key, "POST", "/api/v1/generations", c.body)
		e := res.apiError(t)
		if res.Status != 400 || e["code"] != "bad_request" || e["message"] != c.want {
			t.Errorf("%s: %d %s, want %q", c.body, res.Status, res.Body, c.want)
		}
	}
}

// TestAPIImagesByMember filters the image list by member id.
func TestAPIImagesByMember(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ada := app.AddMember(t, "ada", "correct horse battery", false)
	bo := app.AddMember(t, "bo", "correct horse battery", false)
	key := newKey(t, app, ada)
	app.WaitJobs(t, submit(t, app, key, `{"prompt":"ada's","model":"offline"}`),
		submit(t, app, newKey(t, app, bo), `{"prompt":"bo's","model":"offline","count":2}`))

	var page struct{ Images []struct{ Author string } }
	for _, c := range []struct {
		member, author string
		n              int
	}{{itoa(bo.ID), "bo", 2}, {"me", "ada", 1}, {itoa(ada.ID), "ada", 1}} {
		apiCall(t, app, key, "GET", "/api/v1/images?member="+c.member, "").decode(t, &page)
		if len(page.Images) != c.n {
			t.Errorf("member=%s: %+v", c.member, page)
		}
		for _, im := range page.Images {
			if im.Author != c.author {
				t.Errorf("member=%s lists %s's image", c.member, im.Author)
			}
		}
	}
	res := apiCall(t, app, key, "GET", "/api/v1/images?member=bo", "")
	if res.Status != 422 {
		t.Errorf("member=bo: %d %s", res.Status, res.Body)
	}
}
