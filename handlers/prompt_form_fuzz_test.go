package handlers

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"atelier/imagegen"
)

// FuzzPromptForm parses arbitrary form bodies into the studio form: no
// panic, and whatever validates is a request a provider can take.
func FuzzPromptForm(f *testing.F) {
	f.Add("prompt=a+cat&model=offline&aspect_ratio=1%3A1&size=1K&count=1&seed=")
	f.Add("prompt=%00&model=offline&aspect_ratio=16%3A9&size=2K&count=4&seed=12")
	f.Add("prompt=%FF%FE&count=-1&seed=99999999999999999999")
	f.Add("prompt=<script>alert(1)</script>&model=offline&aspect_ratio=9:16&count=2")
	f.Add("prompt=%D7%A9%D7%9C%D7%95%D7%9D+%F0%9F%A6%8A&model=offline&aspect_ratio=3:4&count=3")
	f.Add("count=1e3&seed=0x10&aspect_ratio=1:1:1")

	cat := imagegen.DefaultCatalog()
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := parsePromptForm(v.Get)
		req, ok := form.validate(cat.Lookup)
		if !ok {
			if len(form.Errors) == 0 {
				t.Fatal("rejected without a message")
			}
			return
		}
		m, _ := cat.Lookup(req.Model)
		switch {
		case req.Prompt == "" || !utf8.ValidString(req.Prompt):
			t.Fatalf("accepted prompt %q", req.Prompt)
		case utf8.RuneCountInString(req.Prompt) > maxPromptRunes:
			t.Fatal("accepted an over-long prompt")
		case strings.ContainsFunc(req.Prompt, isPromptControl):
			t.Fatal("accepted control characters")
		case req.Count < 1 || req.Count > 4:
			t.Fatalf("accepted count %d", req.Count)
		case !slices.Contains(m.AspectRatios, req.AspectRatio):
			t.Fatalf("accepted aspect ratio %q", req.AspectRatio)
		case !slices.Contains(m.Sizes, req.Size):
			t.Fatalf("accepted size %q", req.Size)
		case req.Seed < 0:
			t.Fatalf("accepted seed %d", req.Seed)
		}
	})
}
