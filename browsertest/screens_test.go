package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// artifacts is where screenshots go: $ATELIER_ARTIFACTS, or
// artifacts/screenshots at the top of the repository (ignored by git).
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ATELIER_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "artifacts", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPagesLookFinished opens every main page at phone and desktop width
// in the light and dark themes, checks its accessibility (contrast
// differs by theme) and saves a screenshot to look at.
func TestPagesLookFinished(t *testing.T) {
	s := startServer(t, "--daily-tokens", "200", "--rpm", "600", "--tpm", "6000")
	b := newTab(t, s)
	b.setup("ada")
	c := signedIn(t, s, "ada")
	c.generate("16:9", 2, "a lighthouse at dusk, oil on canvas")
	c.generate("1:1", 1, "a red fox curled up in the snow")
	c.generate("3:4", 1, "a portrait of a robot gardener, watercolour")
	b.open("/gallery")
	image := eval[string](b,
		`document.querySelector("[data-testid=tile] a").getAttribute("href")`)
	out := newTab(t, s)

	pages := []struct {
		name, path string
		tab        *tab
	}{
		{"login", "/login", out},
		{"studio", "/", b},
		{"gallery", "/gallery", b},
		{"image", image, b},
		{"usage", "/usage", b},
		{"admin", "/admin", b},
	}
	dir := artifacts(t)
	for _, width := range []int64{375, 1280} {
		for _, theme := range []string{"light", "dark"} {
			for _, p := range pages {
				name := fmt.Sprintf("%s-%d-%s", p.name, width, theme)
				p.tab.do("viewport", chromedp.EmulateViewport(width, 900))
				p.tab.theme(theme)
				p.tab.open(p.path)
				p.tab.waitJS("images to load", `[...document.images].every(i => i.complete)`,
					10*time.Second)
				p.tab.checkA11y(name)
				if w := eval[int](p.tab, `document.documentElement.scrollWidth`); w > int(width) {
					t.Errorf("%s scrolls sideways: %d px wide", name, w)
				}
				shot, err := chromedp.Run(p.tab.ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if err := os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
