package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"atelier/internal/testapp"
)

// validForm is a prompt form that passes validation.
func validForm() url.Values {
	return url.Values{"prompt": {"a lighthouse at dusk"}, "model": {"offline"},
		"aspect_ratio": {"16:9"}, "size": {"1K"}, "count": {"2"}, "seed": {"7"}}
}

func TestPromptFormRejectsBadInput(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	m := app.AddMember(t, "grace", "cobol-forever-1959", false)
	c := app.Login(t, "grace", "cobol-forever-1959")

	cases := []struct {
		name, field, value, errField, want string
	}{
		{"empty prompt", "prompt", "   ", "prompt", "Describe the image"},
		{"prompt over the limit", "prompt", strings.Repeat("long ", 801), "prompt", "4000 characters or fewer"},
		{"control characters", "prompt", "a cat\x00", "prompt", "control characters"},
		{"invalid utf-8", "prompt", "a cat \xff\xfe", "prompt", "UTF-8"},
		{"unknown model", "model", "dall-e-9", "model", "listed models"},
		{"bad aspect ratio", "aspect_ratio", "2:1", "aspect_ratio", "Choose one of"},
		{"zero images", "count", "0", "count", "1 to 4"},
		{"five images", "count", "5", "count", "1 to 4"},
		{"count not a number", "count", "two", "count", "1 to 4"},
		{"bad size", "size", "8K", "size", "offers sizes"},
		{"negative seed", "seed", "-3", "seed", "whole number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			form := validForm()
			form.Set(tc.field, tc.value)
			for _, post := range []func(string, url.Values) testapp.Response{c.PostForm, c.PostHTMX} {
				res := post("/jobs", form)
				if res.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status %d, want 422", res.StatusCode)
				}
				msg := res.Doc(t).Find(`[data-testid="` + tc.errField + `-error"]`).Text()
				if !strings.Contains(msg, tc.want) {
					t.Errorf("%s error %q, want it to mention %q", tc.errField, msg, tc.want)
				}
			}
		})
	}

	// Nothing was stored or reserved by any rejected form.
	jobs, err := app.DB.RecentJobs(context.Background(), m.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 0 {
		t.Errorf("%d jobs stored from rejected forms", len(jobs))
	}
	q, _ := app.DB.MemberQuota(context.Background(), m.ID, app.Runner.Budgets())
	if q.DailyTokensUsed != 0 || q.MonthlyMicrosUsed != 0 {
		t.Errorf("rejected forms reserved quota: %+v", q)
	}
}

func TestPromptFormKeepsValuesOnError(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	app.AddMember(t, "grace", "cobol-forever-1959", false)
	c := app.Login(t, "grace", "cobol-forever-1959")

	form := validForm()
	form.Set("count", "9")
	doc := c.PostForm("/jobs", form).Doc(t)
	if got := doc.Find("#prompt").Text(); got != "a lighthouse at dusk" {
		t.Errorf("prompt after error %q", got)
	}
	if got, _ := doc.Find(`#aspect_ratio option[selected]`).Attr("value"); got != "16:9" {
		t.Errorf("aspect ratio after error %q", got)
	}
}

func TestGenerateWithoutScript(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	app.AddMember(t, "grace", "cobol-forever-1959", false)
	c := app.Login(t, "grace", "cobol-forever-1959")

	// A plain POST is redirected to the job's page, which refreshes itself
	// while the job runs.
	res := c.PostForm("/jobs", validForm())
	id := testapp.JobIDFromLocation(t, res)
	jobs := app.WaitJobs(t, id)
	if jobs[0].Status != "done" {
		t.Fatalf("job %s: %s", jobs[0].Status, jobs[0].Reason)
	}

	page := c.Get(res.Header.Get("Location"))
	doc := page.Doc(t)
	if got := doc.Find(`[data-testid="job-status"]`).Text(); got != "done" {
		t.Errorf("job page status %q", got)
	}
	if n := doc.Find(".thumbs img").Length(); n != 2 {
		t.Errorf("%d thumbnails, want 2", n)
	}
	if page.Header.Get("Refresh") != "" {
		t.Error("a finished job's page still refreshes")
	}
	if got := doc.Find(".meta").Text(); !strings.Contains(got, "offline") {
		t.Errorf("model not labelled offline: %q", got)
	}
}

func TestGenerateWithHTMX(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	app.AddMember(t, "grace", "cobol-forever-1959", false)
	c := app.Login(t, "grace", "cobol-forever-1959")

	res := c.PostHTMX("/jobs", validForm())
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, res.Body)
	}
	doc := res.Doc(t)
	card := doc.Find(`[data-testid="job"]`)
	if card.Length() != 1 {
		t.Fatalf("answer holds %d job cards", card.Length())
	}
	poll, _ := card.Attr("hx-get")
	if !strings.HasPrefix(poll, "/jobs/") || !strings.HasSuffix(poll, "/card") {
		t.Fatalf("new card does not poll itself: hx-get=%q", poll)
	}
	if oob, _ := doc.Find("#quota").Attr("hx-swap-oob"); oob != "true" {
		t.Error("answer does not refresh the header quota")
	}

	// Polling ends with a card that no longer polls and shows thumbnails.
	cardID, _ := card.Attr("id")
	id, err := strconv.ParseInt(strings.TrimPrefix(cardID, "job-"), 10, 64)
	if err != nil {
		t.Fatalf("card id %q", cardID)
	}
	app.WaitJobs(t, id)
	done := c.Get(poll).Doc(t)
	if _, polls := done.Find(`[data-testid="job"]`).Attr("hx-get"); polls {
		t.Error("finished card still polls")
	}
	if n := done.Find(".thumbs img").Length(); n != 2 {
		t.Errorf("%d thumbnails, want 2", n)
	}
}

func TestOtherMembersJobIsNotFound(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	app.AddMember(t, "grace", "cobol-forever-1959", false)
	app.AddMember(t, "alan", "turing-machine-1936", false)
	grace := app.Login(t, "grace", "cobol-forever-1959")
	alan := app.Login(t, "alan", "turing-machine-1936")

	id := testapp.JobIDFromLocation(t, grace.PostForm("/jobs", validForm()))
	app.WaitJobs(t, id)
	for _, path := range []string{"/jobs/%d", "/jobs/%d/card"} {
		p := strings.Replace(path, "%d", strconv.FormatInt(id, 10), 1)
		if res := alan.Get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("another member's GET %s: %d, want 404", p, res.StatusCode)
		}
	}
	for _, p := range []string{"/jobs/abc", "/jobs/-1", "/jobs/99999", "/images/xyz", "/images/0"} {
		if res := grace.Get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
}
