package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"atelier/internal/testapp"
)

func TestFirstRunSetup(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	c := app.Client(t)

	// With no member every page leads to setup.
	res := c.Get("/")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/setup" {
		t.Fatalf(
			"GET / on a fresh install: %d %q, want 303 to /setup",
			res.StatusCode,
			res.Header.Get("Location"),
		)
	}

	t.Run("short password", func(t *testing.T) {
		res := c.PostForm("/setup", url.Values{"name": {"ada"}, "password": {"short"}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", res.StatusCode)
		}
		msg := res.Doc(t).Find(`[data-testid="password-error"]`).Text()
		if !strings.Contains(msg, "at least 10") {
			t.Errorf("password error %q", msg)
		}
		if n, _ := app.DB.CountMembers(context.Background()); n != 0 {
			t.Errorf("%d members stored after a rejected setup", n)
		}
	})

	res = c.PostForm("/setup", url.Values{"name": {"ada"}, "password": {"analytical-engine"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("setup: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	page := c.Get("/")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("studio after setup: %d", page.StatusCode)
	}
	if who := page.Doc(t).Find(`[data-testid="member"]`).Text(); who != "ada" {
		t.Errorf("header shows %q, want ada", who)
	}
	if page.Doc(t).Find(`a[href="/admin"]`).Length() != 1 {
		t.Error("the first member is not shown the admin link")
	}

	// Setup is closed once a member exists.
	other := app.Client(t)
	res = other.PostForm("/setup", url.Values{"name": {"eve"}, "password": {"a-long-password"}})
	if res.Header.Get("Location") != "/login" {
		t.Errorf(
			"second setup: %d %q, want redirect to /login",
			res.StatusCode,
			res.Header.Get("Location"),
		)
	}
	if _, err := app.DB.MemberByName(context.Background(), "eve"); err == nil {
		t.Error("a second setup created a member")
	}
}

func TestSignIn(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	app.AddMember(t, "grace", "cobol-forever-1959", false)

	t.Run("wrong password", func(t *testing.T) {
		c := app.Client(t)
		res := c.PostForm(
			"/login",
			url.Values{"name": {"grace"}, "password": {"wrong-password"}},
		)
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", res.StatusCode)
		}
		if msg := res.Doc(t).Find(`[data-testid="form-error"]`).Text(); !strings.Contains(
			msg,
			"do not match",
		) {
			t.Errorf("message %q", msg)
		}
		if res := c.Get("/gallery"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("gallery after a failed sign-in: %d", res.StatusCode)
		}
	})

	t.Run("unknown name", func(t *testing.T) {
		res := app.Client(t).
			PostForm("/login", url.Values{"name": {"nobody"}, "password": {"whatever-it-is"}})
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", res.StatusCode)
		}
	})

	t.Run("right password then sign out", func(t *testing.T) {
		c := app.Login(t, "grace", "cobol-forever-1959")
		if res := c.Get("/gallery"); res.StatusCode != http.StatusOK {
			t.Fatalf("gallery: %d", res.StatusCode)
		}
		cookies := c.HTTP.Jar.Cookies(mustURL(t, app.URL))

		c.PostForm("/logout", nil)
		if res := c.Get("/gallery"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("gallery after sign-out: %d", res.StatusCode)
		}

		// The old cookie no longer works: the session ended server-side.
		replay := app.Client(t)
		replay.HTTP.Jar.SetCookies(mustURL(t, app.URL), cookies)
		if res := replay.Get("/gallery"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("replayed cookie after sign-out: %d, want 303", res.StatusCode)
		}
	})
}

func TestAnonymousIsSentToSignIn(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	app.AddMember(t, "grace", "cobol-forever-1959", true)
	c := app.Client(t)
	for _, path := range []string{"/", "/gallery", "/images/1", "/jobs/1", "/usage", "/admin",
		"/files/1/0123456789abcdef/image"} {
		res := c.Get(path)
		if res.StatusCode != http.StatusSeeOther ||
			!strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf(
				"GET %s: %d %q, want 303 to /login",
				path,
				res.StatusCode,
				res.Header.Get("Location"),
			)
		}
	}
	res := c.PostForm("/jobs", url.Values{"prompt": {"x"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("anonymous POST /jobs: %d", res.StatusCode)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	app.AddMember(t, "grace", "cobol-forever-1959", false)
	c := app.Login(t, "grace", "cobol-forever-1959")

	req, _ := http.NewRequest(http.MethodPost, app.URL+"/jobs", strings.NewReader(
		url.Values{"prompt": {"a cat"}, "model": {"offline"}, "aspect_ratio": {"1:1"},
			"size": {"1K"}, "count": {"1"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res := c.Do(req)
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d, want 403", res.StatusCode)
	}
	jobs, _ := app.DB.RecentJobs(context.Background(), 1, 10)
	if len(jobs) != 0 {
		t.Errorf("a cross-site POST created %d jobs", len(jobs))
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
