package browsertest

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// seedGallery fills the gallery through real jobs: 52 images, more than
// one page, 8 of them lighthouses in 16:9 and the rest foxes in 1:1.
func seedGallery(t *testing.T, s *server) {
	t.Helper()
	c := signedIn(t, s, "ada")
	c.generate("16:9", 4, "a lighthouse at dusk", "a lighthouse in fog")
	var foxes []string
	for i := range 11 {
		foxes = append(foxes, fmt.Sprintf("a red fox in the forest, study %d", i+1))
	}
	c.generate("1:1", 4, foxes...)
}

const tileCount = `document.querySelectorAll("[data-testid=tile]").length`

// TestGallery scrolls the gallery to load the next page, searches and
// filters it, opens an image, remixes it into the studio and deletes it.
func TestGallery(t *testing.T) {
	s := startServer(t, "--daily-tokens", "0", "--rpm", "600", "--tpm", "6000")
	b := newTab(t, s)
	b.setup("ada")
	seedGallery(t, s)

	// Scrolling to the end loads the next page in place.
	b.open("/gallery")
	if n := eval[int](b, tileCount); n != 48 {
		t.Fatalf("first gallery page has %d tiles, want 48", n)
	}
	b.checkA11y("gallery")
	eval[bool](b, `(window.marker = "same page", true)`)
	eval[bool](b, `(window.scrollTo(0, document.body.scrollHeight), true)`)
	b.waitJS("the second page", tileCount+` === 52`, 10*time.Second)
	if eval[bool](b, `!!document.querySelector("[data-testid=more]")`) {
		t.Error("the last page still offers more")
	}
	if eval[string](b, `window.marker || ""`) != "same page" {
		t.Error("loading more reloaded the page")
	}

	// A search finds only the lighthouses, and says so in the URL.
	b.fill("#q", "lighthouse")
	b.clickAndLoad("[data-testid=filters] button[type=submit]")
	if p := b.path(); !strings.Contains(p, "q=lighthouse") {
		t.Errorf("search URL %s has no query", p)
	}
	prompts := eval[[]string](b, `[...document.querySelectorAll("[data-testid=tile-prompt]")]`+
		`.map(e => e.textContent)`)
	if len(prompts) != 8 {
		t.Errorf("search found %d tiles, want 8", len(prompts))
	}
	for _, p := range prompts {
		if !strings.Contains(p, "lighthouse") {
			t.Errorf("search for lighthouse found %q", p)
		}
	}

	// The aspect-ratio filter keeps only the wide images.
	b.open("/gallery")
	eval[bool](b, `(document.querySelector("#ratio").value = "16:9", true)`)
	b.clickAndLoad("[data-testid=filters] button[type=submit]")
	wide := eval[[]bool](b, `[...document.querySelectorAll("[data-testid=tile] img")]`+
		`.map(i => i.naturalWidth > i.naturalHeight)`)
	if len(wide) != 8 {
		t.Errorf("16:9 filter found %d tiles, want 8", len(wide))
	}
	for i, w := range wide {
		if !w {
			t.Errorf("16:9 filter tile %d is not wide", i)
		}
	}

	// A search with no match says what to do next.
	b.open("/gallery?q=zebra")
	if msg := b.text("[data-testid=gallery-empty]"); msg == "" {
		t.Error("an empty search result says nothing")
	}
	b.checkA11y("empty gallery search")

	// The image page shows the picture with its prompt as alt text.
	b.open("/gallery")
	prompt := b.text("[data-testid=tile-prompt]")
	b.clickAndLoad("[data-testid=tile] a")
	imagePath := b.path()
	if !regexp.MustCompile(`^/images/\d+$`).MatchString(imagePath) {
		t.Fatalf("a tile opened %s", imagePath)
	}
	alt := eval[string](b, `document.querySelector("[data-testid=full-image]").alt`)
	if alt != prompt {
		t.Errorf("full image alt %q, want %q", alt, prompt)
	}
	b.checkA11y("image page")

	// Remix fills the studio form with the image's settings.
	b.clickAndLoad("[data-testid=remix]")
	if got := eval[string](b, `document.querySelector("#prompt").value`); got != prompt {
		t.Errorf("remix prompt %q, want %q", got, prompt)
	}
	if got := eval[string](b, `document.querySelector("#aspect_ratio").value`); got != "1:1" {
		t.Errorf("remix aspect ratio %q, want 1:1", got)
	}

	// Delete asks first: declining keeps the image, accepting removes it.
	b.open(imagePath)
	b.setDialogAnswer(false)
	b.click("[data-testid=delete]")
	waitFor(t, "the confirm dialog", 10*time.Second, func() bool { return b.dialogCount() == 1 })
	if p := b.path(); p != imagePath {
		t.Fatalf("declining the delete still left the page for %s", p)
	}
	b.setDialogAnswer(true)
	b.clickAndLoad("[data-testid=delete]")
	if p := b.path(); !strings.HasPrefix(p, "/gallery") {
		t.Errorf("after delete at %s, want the gallery", p)
	}
	id := strings.TrimPrefix(imagePath, "/images/")
	if eval[bool](b, fmt.Sprintf(`!!document.querySelector(%q)`,
		`[data-testid=tile][data-id="`+id+`"]`)) {
		t.Error("the deleted image is still in the gallery")
	}
	b.open(imagePath)
	if h := b.text("h1"); h != "Not found" {
		t.Errorf("a deleted image's page says %q", h)
	}
}
