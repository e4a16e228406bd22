package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// galleryPage is what a client reads from a gallery page: the
// thumbnails to fetch, the image pages it links to and the next page.
type galleryPage struct {
	Thumbs []string
	Images []string
	Next   string
}

// parseGallery reads a gallery page (or an htmx fragment of one).
func parseGallery(body []byte) (galleryPage, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return galleryPage{}, err
	}
	var p galleryPage
	doc.Find("img[src]").Each(func(_ int, s *goquery.Selection) {
		if src, _ := s.Attr("src"); strings.HasPrefix(src, "/files/") {
			p.Thumbs = append(p.Thumbs, src)
		}
	})
	doc.Find(`a[href^="/images/"]`).Each(func(_ int, s *goquery.Selection) {
		href, _ := s.Attr("href")
		p.Images = append(p.Images, href)
	})
	p.Next, _ = doc.Find(`[data-testid="more"]`).Attr("href")
	if p.Next == "" {
		doc.Find(`a[href^="/gallery?"]`).EachWithBreak(func(_ int, s *goquery.Selection) bool {
			href, _ := s.Attr("href")
			if strings.Contains(href, "after=") {
				p.Next = href
			}
			return p.Next == ""
		})
	}
	return p, nil
}

// browser is one gallery visitor's loop.
type browser struct {
	c    *http.Client
	base string
	rec  *recorder
	rng  *rand.Rand
}

// run loops until ctx ends: the first gallery page, up to three "load
// more" pages, every thumbnail on each page, and now and then the page of
// one image.
func (b *browser) run(ctx context.Context) {
	for ctx.Err() == nil {
		p, ok := b.page(ctx, "/gallery")
		for range b.rng.IntN(4) {
			if !ok || p.Next == "" {
				break
			}
			p, ok = b.page(ctx, p.Next)
		}
		if ok && len(p.Images) > 0 && b.rng.IntN(3) == 0 {
			href := p.Images[b.rng.IntN(len(p.Images))]
			get(ctx, b.c, b.base+href, kindImage, b.rec)
		}
	}
}

// page fetches one gallery page and then its thumbnails, as a browser
// without a cache would.
func (b *browser) page(ctx context.Context, path string) (galleryPage, bool) {
	res, err := get(ctx, b.c, b.base+path, kindGallery, b.rec)
	if err != nil {
		return galleryPage{}, false
	}
	p, err := parseGallery(res.body)
	if err != nil {
		b.rec.note(kindGallery, "parse: "+err.Error())
		return p, false
	}
	for _, src := range p.Thumbs {
		_, err := get(ctx, b.c, b.base+src, kindThumb, b.rec)
		if err == errStopped {
			return p, false
		}
		if err == nil {
			b.rec.thumbs[src]++
		}
	}
	return p, true
}

// generator is one member's loop: post a job, then poll its page as the
// page's own Refresh header asks until the job has ended.
type generator struct {
	c    *http.Client
	base string
	rec  *recorder
	n    int // this member's number, for distinct prompts
	poll time.Duration
}

func (g *generator) run(ctx context.Context) {
	for i := 0; ctx.Err() == nil; i++ {
		form := url.Values{"prompt": {fmt.Sprintf("load test %d, picture %d", g.n, i)},
			"model": {"offline"}, "aspect_ratio": {"1:1"}, "size": {"1K"}, "count": {"1"}}
		res, err := postForm(ctx, g.c, g.base+"/jobs", form, kindJobPost, g.rec)
		if err != nil {
			continue
		}
		loc := res.header.Get("Location")
		if res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/jobs/") {
			g.rec.note(kindJobPost, fmt.Sprintf("job post: status %d, location %q",
				res.status, loc))
			continue
		}
		g.wait(ctx, loc)
	}
}

// wait polls a job page until it no longer asks to be refreshed.
func (g *generator) wait(ctx context.Context, path string) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(g.poll):
		}
		res, err := get(ctx, g.c, g.base+path, kindJobPoll, g.rec)
		if err == errStopped {
			return
		}
		if err != nil || res.header.Get("Refresh") != "" {
			continue
		}
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(res.body))
		if err != nil {
			g.rec.note(kindJobPoll, "parse: "+err.Error())
			return
		}
		status, _ := doc.Find(`[data-testid="job"]`).Attr("data-status")
		if status != "done" {
			g.rec.note(kindJobPoll, fmt.Sprintf("%s ended %q", path, status))
			return
		}
		g.rec.jobs++
		return
	}
}
