package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"atelier/db"
)

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {95, 95 * time.Millisecond}, {99, 99 * time.Millisecond},
		{100, 100 * time.Millisecond}} {
		if got := percentile(s, c.p); got != c.want {
			t.Errorf("p%v = %s, want %s", c.p, got, c.want)
		}
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("one value: p99 = %s", got)
	}
}

func TestParseGallery(t *testing.T) {
	page := `<html><body><div id="grid">
	<figure class="tile"><a href="/images/12">
		<img src="/files/12/abcdef0123456789/thumb.jpg"></a></figure>
	<figure class="tile"><a href="/images/11">
		<img src="/files/11/0123456789abcdef/thumb.jpg"></a></figure>
	<img src="/static/logo.svg">
	<a class="more" href="/gallery?after=1700000000000.11" data-testid="more">Load more</a>
	</div></body></html>`
	p, err := parseGallery([]byte(page))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Thumbs) != 2 || p.Thumbs[1] != "/files/11/0123456789abcdef/thumb.jpg" {
		t.Errorf("thumbs = %q", p.Thumbs)
	}
	if len(p.Images) != 2 || p.Images[0] != "/images/12" {
		t.Errorf("images = %q", p.Images)
	}
	if p.Next != "/gallery?after=1700000000000.11" {
		t.Errorf("next = %q", p.Next)
	}

	last, _ := parseGallery([]byte(`<div><a href="/gallery?q=fox">filter</a></div>`))
	if last.Next != "" {
		t.Errorf("a filter link taken for the next page: %q", last.Next)
	}
}

// TestSeed seeds a small database and reads it back through Atelier's own
// db package: the gallery pages it and the thumbnails are the samples'.
func TestSeed(t *testing.T) {
	ctx := context.Background()
	samples, err := makeSamples(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "atelier.db")
	s, err := seed(ctx, path, 2, 5, samples)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Members) != 2 || len(s.Images) != 5 {
		t.Fatalf("seeded %d members, %d images", len(s.Members), len(s.Images))
	}
	seen := map[string]bool{}
	for _, im := range s.Images {
		if len(im.SHA256) != 64 || seen[im.SHA256] {
			t.Errorf("image %d: sha %q not a fresh 64-char hash", im.ID, im.SHA256)
		}
		seen[im.SHA256] = true
	}

	store, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	items, _, err := store.Gallery(ctx, db.GalleryQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 5 || items[0].ID != 5 {
		t.Fatalf("gallery shows %d images, newest %v", len(items), items)
	}
	data, mime, _, err := store.ImageData(ctx, 4, true)
	if err != nil || mime != "image/jpeg" || string(data) != string(samples[3%3].Thumb) {
		t.Errorf("thumb of image 4: %d bytes, %q, %v", len(data), mime, err)
	}
}

// TestGalleryTargetsReplayFrequencies checks that the gallery workload
// holds each path as often as the browsers fetched it, with the bytes the
// server answered, and that a thumbnail the server no longer has stops the
// run instead of being compared as an error page.
func TestGalleryTargetsReplayFrequencies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/files/9/gone/thumb.jpg" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "bytes of "+r.URL.Path)
	}))
	defer srv.Close()
	ctx := context.Background()
	seen := map[string]int{"/files/1/a/thumb.jpg": 3, "/files/2/b/thumb.jpg": 1}
	w, err := galleryTargets(ctx, srv.Client(), srv.URL, seen)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range w.Picks {
		count[p.Path]++
		if string(p.Data) != "bytes of "+p.Path {
			t.Errorf("%s holds %q", p.Path, p.Data)
		}
	}
	if w.Distinct != 2 || len(w.Picks) != 4 || count["/files/1/a/thumb.jpg"] != 3 {
		t.Errorf("distinct %d, picks %v", w.Distinct, count)
	}

	seen["/files/9/gone/thumb.jpg"] = 1
	if _, err := galleryTargets(ctx, srv.Client(), srv.URL, seen); err == nil {
		t.Error("a missing thumbnail was taken into the workload")
	}
	if _, err := galleryTargets(ctx, srv.Client(), srv.URL, nil); err == nil {
		t.Error("an empty workload was accepted")
	}
}
