package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestDeleteImageAuthorization(t *testing.T) {
	g := newGallery(t, 30)
	var adas, bos []int64
	for _, im := range g.images {
		switch im.MemberID {
		case g.ids["ada"]:
			adas = append(adas, im.ID)
		case g.ids["bo"]:
			bos = append(bos, im.ID)
		}
	}

	// Another member may not delete it, and it stays.
	res := g.clients["cy"].PostForm(imagePath(bos[0])+"/delete", nil)
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cy deleting bo's image: status %d, want 403", res.StatusCode)
	}
	if res := g.clients["cy"].Get(imagePath(bos[0])); res.StatusCode != 200 {
		t.Fatalf("bo's image after a refused delete: status %d", res.StatusCode)
	}
	if doc := g.clients["cy"].Get(imagePath(bos[0])).Doc(t); doc.Find(`[data-testid=delete]`).
		Length() !=
		0 {
		t.Fatal("cy is offered a delete button on bo's image")
	}

	// The author and an admin may.
	for _, c := range []struct {
		who string
		id  int64
	}{{"bo", bos[1]}, {"ada", bos[2]}, {"ada", adas[0]}} {
		// The thumbnail is served (and so cached) before the delete and
		// gone after it.
		full := g.clients["cy"].Get(imagePath(c.id)).Doc(t).Find(`[data-testid=full-image]`).
			AttrOr("src", "")
		thumb := strings.Replace(full, "/image", "/thumb.jpg", 1)
		if res := g.clients["cy"].Get(thumb); res.StatusCode != 200 {
			t.Fatalf("thumbnail %s before delete: status %d", thumb, res.StatusCode)
		}
		res := g.clients[c.who].PostForm(imagePath(c.id)+"/delete", nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s deleting %d: status %d", c.who, c.id, res.StatusCode)
		}
		if res := g.clients["cy"].Get(imagePath(c.id)); res.StatusCode != 404 {
			t.Fatalf("image %d after delete: status %d, want 404", c.id, res.StatusCode)
		}
		if res := g.clients["cy"].Get(thumb); res.StatusCode != 404 {
			t.Fatalf("thumbnail of %d after delete: status %d, want 404", c.id, res.StatusCode)
		}
	}
}

func TestImagePageAndFiles(t *testing.T) {
	g := newGallery(t, 5)
	im := g.images[2]
	doc := g.clients["bo"].Get(imagePath(im.ID)).Doc(t)
	if got := doc.Find(`[data-testid=image-prompt]`).Text(); got != im.Prompt {
		t.Fatalf("prompt shown %q, want %q", got, im.Prompt)
	}

	// "Use these settings" fills the studio form.
	remix, _ := url.Parse(doc.Find(`[data-testid=remix]`).AttrOr("href", ""))
	if remix.Query().Get("prompt") != im.Prompt || remix.Query().Get("model") != im.Model ||
		remix.Query().Get("aspect_ratio") != im.AspectRatio {
		t.Fatalf("remix link %s does not carry the image's settings", remix)
	}

	// The download is named after the prompt and typed by the format.
	src := doc.Find(`[data-testid=download]`).AttrOr("href", "")
	res := g.clients["bo"].Get(src)
	cd := res.Header.Get("Content-Disposition")
	name := regexp.MustCompile(`^attachment; filename="atelier-` + itoa(im.ID) + "-" +
		strings.Fields(im.Prompt)[0] + `[a-z0-9-]*\.png"$`)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" ||
		!name.MatchString(cd) {
		t.Fatalf("download: status %d, type %q, disposition %q", res.StatusCode,
			res.Header.Get("Content-Type"), cd)
	}

	// Files are immutable, strongly tagged, unsniffable and sandboxed.
	full := doc.Find(`[data-testid=full-image]`).AttrOr("src", "")
	res = g.clients["bo"].Get(full)
	h := res.Header
	etag := h.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, "W/") ||
		!strings.Contains(h.Get("Cache-Control"), "immutable") ||
		h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
		!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("image headers: %v", h)
	}
	req, _ := http.NewRequest(http.MethodGet, g.app.URL+full, nil)
	req.Header.Set("If-None-Match", `"other", `+etag)
	if res := g.clients["bo"].Do(req); res.StatusCode != http.StatusNotModified {
		t.Fatalf("conditional GET: status %d, want 304", res.StatusCode)
	}

	// A wrong hash in the URL is not the same file.
	parts := strings.Split(full, "/")
	parts[3] = strings.Repeat("0", len(parts[3]))
	bad := strings.Join(parts, "/")
	if res := g.clients["bo"].Get(bad); res.StatusCode != 404 {
		t.Fatalf("GET %s: status %d, want 404", bad, res.StatusCode)
	}
}
