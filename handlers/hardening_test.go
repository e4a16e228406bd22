package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"atelier/internal/testapp"
)

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	app.AddMember(t, "grace", "cobol-forever-1959", false)
	c := app.Login(t, "grace", "cobol-forever-1959")
	for _, path := range []string{"/", "/gallery", "/login", "/nope", "/healthz", "/jobs/x"} {
		res := c.Get(path)
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") ||
			!strings.Contains(csp, "script-src 'self'") ||
			strings.Contains(csp, "unsafe-inline") ||
			strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" ||
			res.Header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, res.Header)
		}
	}
}

func TestHostilePrompts(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	m := app.AddMember(t, "grace", "cobol-forever-1959", false)
	c := app.Login(t, "grace", "cobol-forever-1959")

	post := func(prompt string) testapp.Response {
		f := validForm()
		f.Set("prompt", prompt)
		f.Set("count", "1")
		return c.PostForm("/jobs", f)
	}

	t.Run("html is stored and shown escaped", func(t *testing.T) {
		p := `<script>alert("x")</script><img src=x onerror=alert(1)>`
		id := testapp.JobIDFromLocation(t, post(p))
		app.WaitJobs(t, id)
		page := c.Get("/jobs/" + strconv.FormatInt(id, 10))
		if strings.Contains(page.Body, "<script>alert") ||
			strings.Contains(page.Body, "<img src=x") {
			t.Fatal("the prompt's markup reached the page unescaped")
		}
		if got := page.Doc(t).Find(".prompt-text").Text(); got != p {
			t.Errorf("prompt shown as %q", got)
		}
	})

	t.Run("emoji and right-to-left text are kept", func(t *testing.T) {
		p := "שלום עולם 🦊 مرحبا"
		id := testapp.JobIDFromLocation(t, post(p))
		j := app.WaitJobs(t, id)[0]
		if j.Prompt != p || j.Status != "done" {
			t.Errorf("stored %q (%s)", j.Prompt, j.Status)
		}
	})

	t.Run("100 KB of text is refused with a message", func(t *testing.T) {
		res := post(strings.Repeat("word ", 20000))
		if res.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(
				res.Doc(t).Find(`[data-testid="prompt-error"]`).Text(),
				"4000 characters or fewer",
			) {
			t.Errorf("status %d", res.StatusCode)
		}
	})

	t.Run("a body over the limit is 413", func(t *testing.T) {
		res := post(strings.Repeat("x", 300<<10))
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", res.StatusCode)
		}
	})

	t.Run("unknown query parameters are ignored", func(t *testing.T) {
		for _, p := range []string{"/?utm_source=x&debug=1", "/gallery?zzz=1&q=", "/usage?x=<y>"} {
			if res := c.Get(p); res.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %d", p, res.StatusCode)
			}
		}
	})

	// Only the two accepted jobs hold anything in the ledger.
	jobs, _ := app.DB.RecentJobs(context.Background(), m.ID, 10)
	if len(jobs) != 2 {
		t.Errorf("%d jobs stored, want 2", len(jobs))
	}
}

func TestSignInThrottle(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	app.AddMember(t, "grace", "cobol-forever-1959", false)
	c := app.Client(t)
	try := func(pw string) testapp.Response {
		return c.PostForm("/login", url.Values{"name": {"grace"}, "password": {pw}})
	}
	for i := 0; i < 5; i++ {
		res := try("guess-" + strconv.FormatInt(int64(i), 10))
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("try %d: %d", i, res.StatusCode)
		}
	}

	// Now even the right password waits, and the page says for how long.
	res := try("cobol-forever-1959")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf(
			"after 5 failures: %d, Retry-After %q",
			res.StatusCode,
			res.Header.Get("Retry-After"),
		)
	}
	if msg := res.Doc(t).Find(`[data-testid="form-error"]`).Text(); !strings.Contains(
		msg,
		"Try again in",
	) {
		t.Errorf("message %q", msg)
	}

	// The lock also holds for other names from the same address.
	other := c.PostForm("/login", url.Values{"name": {"someone"}, "password": {"x"}})
	if other.StatusCode != http.StatusTooManyRequests {
		t.Errorf("another name from the same address: %d, want 429", other.StatusCode)
	}
}

func TestSignInIssuesAFreshSession(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	app.AddMember(t, "grace", "cobol-forever-1959", false)
	c := app.Client(t)
	u := mustURL(t, app.URL)

	// A cookie planted before sign-in is replaced, not adopted.
	c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: "atelier", Value: "planted", Path: "/"}})
	c.PostForm("/login", url.Values{"name": {"grace"}, "password": {"cobol-forever-1959"}})
	var first string
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == "atelier" {
			first = ck.Value
		}
	}
	if first == "" || first == "planted" {
		t.Fatalf("session cookie after sign-in: %q", first)
	}

	// Signing in again gives yet another session.
	c.PostForm("/login", url.Values{"name": {"grace"}, "password": {"cobol-forever-1959"}})
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == "atelier" && ck.Value == first {
			t.Error("second sign-in kept the same session cookie")
		}
	}
}

func TestSignInRedirectStaysOnSite(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	app.AddMember(t, "grace", "cobol-forever-1959", false)
	for next, want := range map[string]string{
		"/gallery?q=fox": "/gallery?q=fox",
		"//evil.example": "/", "/\\evil.example": "/", "/\t/evil.example": "/",
		"/\n/evil.example": "/", "https://evil.example": "/", "/ /evil.example": "/",
		"evil.example": "/", "/%09/evil.example": "/%09/evil.example",
	} {
		res := app.Client(t).PostForm("/login", url.Values{"name": {"grace"},
			"password": {"cobol-forever-1959"}, "next": {next}})
		if got := res.Header.Get("Location"); got != want {
			t.Errorf("next %q: redirected to %q, want %q", next, got, want)
		}
	}
}

// TestSignInThrottleHoldsInParallel sends 20 wrong passwords at once: no
// more than the five free attempts may reach the password check.
func TestSignInThrottleHoldsInParallel(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	app.AddMember(t, "grace", "cobol-forever-1959", false)
	statuses := make(chan int, 20)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := app.Client(t).PostForm("/login", url.Values{"name": {"grace"},
				"password": {fmt.Sprintf("guess-%d", i)}})
			statuses <- res.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	checked := 0
	for st := range statuses {
		if st == http.StatusUnauthorized {
			checked++
		}
	}
	if checked > 5 {
		t.Errorf("%d of 20 parallel guesses reached the password check, want at most 5", checked)
	}
}

func TestRejectedInputIsNotEchoedRaw(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	app.AddMember(t, "root", "administrator-pw", true)
	c := app.Login(t, "root", "administrator-pw")

	f := validForm()
	f.Set("prompt", "a cat\x00 on a \xff mat")
	res := c.PostForm("/jobs", f)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.StatusCode)
	}
	if strings.ContainsAny(res.Body, "\x00") || !utf8.ValidString(res.Body) {
		t.Error("the page carries the raw NUL or invalid UTF-8 back")
	}
	if got := res.Doc(t).Find("#prompt").Text(); got != "a cat\uFFFD on a \uFFFD mat" {
		t.Errorf("prompt shown as %q", got)
	}

	// Names that could pass for another member's are refused.
	for _, name := range []string{"\u202eeve", "b\u200bob"} {
		res := c.PostForm("/admin/members", url.Values{"name": {name},
			"password": {"a-long-password"}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("member name %q: status %d", name, res.StatusCode)
		}
	}

	// A budget is a plain amount.
	bob := app.AddMember(t, "bob", "bob-password-123", false)
	for _, v := range []string{"1_000", "1e3", "-5", "NaN", "0x10", "12.1234567"} {
		res := c.PostForm(fmt.Sprintf("/admin/members/%d", bob.ID), url.Values{"monthly_usd": {v}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("monthly_usd %q: status %d", v, res.StatusCode)
		}
	}
	res = c.PostForm(fmt.Sprintf("/admin/members/%d", bob.ID), url.Values{"monthly_usd": {"12.50"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("monthly_usd 12.50: status %d", res.StatusCode)
	}

	// Out-of-range ids are not found, not server errors.
	for _, p := range []string{"/settings/keys/99999999999999999999/revoke",
		"/jobs/99999999999999999999/cancel", "/images/99999999999999999999/delete"} {
		if res := c.PostForm(p, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", p, res.StatusCode)
		}
	}
}

func TestDisabledMemberIsToldAfterTheRightPassword(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	m := app.AddMember(t, "grace", "cobol-forever-1959", false)
	m.Disabled = true
	if err := app.DB.UpdateMember(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	try := func(pw string) testapp.Response {
		return app.Client(t).PostForm("/login", url.Values{"name": {"grace"}, "password": {pw}})
	}
	if res := try("not-her-password"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password for a disabled member: %d, want 401", res.StatusCode)
	}
	res := try("cobol-forever-1959")
	if res.StatusCode != http.StatusForbidden ||
		!strings.Contains(res.Doc(t).Find(`[data-testid="form-error"]`).Text(), "disabled") {
		t.Errorf("right password for a disabled member: %d", res.StatusCode)
	}
	if res.Header.Get("Location") != "" {
		t.Error("a disabled member was signed in")
	}
}
