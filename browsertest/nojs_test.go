package browsertest

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestWithoutJavaScript signs in, generates and pages through the
// gallery with page scripts turned off: plain forms, redirects, a job
// page that refreshes itself, and links.
func TestWithoutJavaScript(t *testing.T) {
	s := startServer(t, "--daily-tokens", "0", "--rpm", "600", "--tpm", "6000")
	setup := newTab(t, s)
	setup.setup("ada")
	seedGallery(t, s)

	b := newTab(t, s)
	b.noScript()
	b.signIn("ada", password)
	if p := b.path(); p != "/" {
		t.Fatalf("signing in without script landed on %s", p)
	}
	if eval[bool](b, `typeof window.htmx !== "undefined"`) {
		t.Fatal("scripts still run: htmx is loaded")
	}

	// Generate: a plain POST redirects to the job's page, which reloads
	// itself until the job is done.
	b.fill("#prompt", "a paper boat on a puddle")
	b.clickAndLoad("[data-testid=generate]")
	if p := b.path(); !regexp.MustCompile(`^/jobs/\d+$`).MatchString(p) {
		t.Fatalf("a plain post landed on %s, want the job page", p)
	}
	b.waitAcross("the job page to show done",
		`document.querySelector("[data-testid=job-status]").textContent === "done"`,
		30*time.Second)
	n := eval[int](b, `document.querySelectorAll("[data-testid=job] .thumbs img").length`)
	if n != 1 {
		t.Errorf("the finished job shows %d images, want 1", n)
	}

	// The gallery pages by links.
	b.open("/gallery")
	if n := eval[int](b, tileCount); n != 48 {
		t.Fatalf("first gallery page has %d tiles, want 48", n)
	}
	b.clickAndLoad("[data-testid=more]")
	if p := b.path(); !strings.Contains(p, "after=") {
		t.Errorf("the more link went to %s", p)
	}
	if n := eval[int](b, tileCount); n != 5 {
		t.Errorf("second gallery page has %d tiles, want 5", n)
	}
}
