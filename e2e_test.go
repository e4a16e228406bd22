package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"atelier/db"
)

// TestPartiPromptsEndToEnd drives the running app over HTTP with the first
// 50 PartiPrompts: it signs in, posts each prompt, waits for the jobs, and
// checks the gallery, every stored image and the member's usage.
func TestPartiPromptsEndToEnd(t *testing.T) {
	srv := startServer(t, nil, "--daily-tokens", "1000", "--max-queued", "50",
		"--rpm", "600", "--tpm", "600")
	b := newBrowser(t, srv.URL)
	res := b.post("/setup", url.Values{"name": {"ada"}, "password": {"analytical-engine"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup: %d", res.StatusCode)
	}

	ratios := []string{"1:1", "3:4", "4:3", "9:16", "16:9"}
	type want struct {
		prompt, ratio string
		count         int
	}
	jobs := map[int64]want{}
	for i, p := range partiPrompts(t, 50) {
		w := want{prompt: p, ratio: ratios[i%len(ratios)], count: 1 + i%2}
		res := b.post("/jobs", url.Values{"prompt": {p}, "model": {"offline"},
			"aspect_ratio": {w.ratio}, "size": {"1K"}, "count": {strconv.Itoa(w.count)}})
		var id int64
		if _, err := fmt.Sscanf(res.Header.Get("Location"), "/jobs/%d", &id); err != nil {
			t.Fatalf("prompt %d %q: status %d, location %q", i, p, res.StatusCode,
				res.Header.Get("Location"))
		}
		jobs[id] = want{prompt: p, ratio: w.ratio, count: w.count}
	}

	// Wait for every job through its page, as a browser without script
	// would: the page stops refreshing once the job has ended.
	images := 0
	imageIDs := map[int64]want{}
	deadline := time.Now().Add(3 * time.Minute)
	for id, w := range jobs {
		var doc *goquery.Document
		for {
			res, body := b.get(fmt.Sprintf("/jobs/%d", id))
			if res.StatusCode != http.StatusOK {
				t.Fatalf("job %d page: %d", id, res.StatusCode)
			}
			if res.Header.Get("Refresh") == "" {
				doc, _ = goquery.NewDocumentFromReader(bytes.NewReader(body))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %d still running", id)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got := doc.Find(`[data-testid="job-status"]`).Text(); got != "done" {
			t.Fatalf("job %d (%q) ended %s: %s", id, w.prompt, got,
				doc.Find(`[data-testid="job-reason"]`).Text())
		}
		doc.Find(".thumbs a").Each(func(_ int, a *goquery.Selection) {
			href, _ := a.Attr("href")
			var imgID int64
			fmt.Sscanf(href, "/images/%d", &imgID)
			imageIDs[imgID] = w
		})
		images += w.count
	}
	if len(imageIDs) != images {
		t.Fatalf("%d images linked from job pages, want %d", len(imageIDs), images)
	}

	t.Run("gallery lists every prompt", func(t *testing.T) {
		seen := map[string]int{}
		next := "/gallery"
		for pages := 0; next != ""; pages++ {
			if pages > 10 {
				t.Fatal("gallery paging does not end")
			}
			_, body := b.get(next)
			doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(body))
			doc.Find(`[data-testid="tile-prompt"]`).Each(func(_ int, s *goquery.Selection) {
				seen[s.Text()]++
			})
			next, _ = doc.Find(`[data-testid="more"]`).Attr("href")
		}
		for _, w := range jobs {
			if seen[w.prompt] != w.count {
				t.Errorf("gallery shows %q %d times, want %d", w.prompt, seen[w.prompt], w.count)
			}
		}
	})

	t.Run("every image decodes at its aspect ratio", func(t *testing.T) {
		for id, w := range imageIDs {
			_, page := b.get(fmt.Sprintf("/images/%d", id))
			doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(page))
			if got := doc.Find(`[data-testid="image-prompt"]`).Text(); got != w.prompt {
				t.Errorf("image %d prompt %q, want %q", id, got, w.prompt)
			}
			src, _ := doc.Find(`[data-testid="full-image"]`).Attr("src")
			res, data := b.get(src)
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
				t.Fatalf("image %d: %d %s", id, res.StatusCode, res.Header.Get("Content-Type"))
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
			if err != nil || format != "png" {
				t.Fatalf("image %d does not decode as PNG: %v", id, err)
			}
			var rw, rh float64
			fmt.Sscanf(strings.Replace(w.ratio, ":", " ", 1), "%g %g", &rw, &rh)
			got := float64(cfg.Width) / float64(cfg.Height)
			if math.Abs(got-rw/rh)/(rw/rh) > 0.03 {
				t.Errorf("image %d is %dx%d, want aspect %s", id, cfg.Width, cfg.Height, w.ratio)
			}
		}
	})

	t.Run("usage equals the sum over jobs", func(t *testing.T) {
		store, err := db.Open(context.Background(), srv.DBPath)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		m, err := store.MemberByName(context.Background(), "ada")
		if err != nil {
			t.Fatal(err)
		}
		q, err := store.MemberQuota(context.Background(), m.ID, db.Budgets{DailyTokens: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for id := range jobs {
			j, err := store.Job(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			sum += j.SpentTokens
			if j.SpentTokens != int64(len(j.Images)) {
				t.Errorf("job %d charged %d tokens for %d 1K images", id, j.SpentTokens, len(j.Images))
			}
		}
		if sum != int64(images) || q.DailyTokensUsed != sum {
			t.Errorf("ledger says %d tokens used, jobs sum to %d, images %d", q.DailyTokensUsed, sum, images)
		}

		// The header shows the same.
		_, body := b.get("/gallery")
		doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(body))
		left := doc.Find(`[data-testid="tokens-left"]`).Text()
		if left != strconv.FormatInt(1000-sum, 10) {
			t.Errorf("header shows %s tokens left, want %d", left, 1000-sum)
		}
	})
}
