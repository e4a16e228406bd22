package handlers

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"atelier/imagegen"
	"atelier/jobs"
	"atelier/views"
)

// maxPromptRunes bounds a prompt; the providers accept a few thousand
// characters at most.
const maxPromptRunes = 4000

// promptForm is the studio form as posted.
type promptForm views.PromptForm

// parsePromptForm reads the studio form from a request's form values.
func parsePromptForm(get func(string) string) promptForm {
	return promptForm{
		Prompt:      strings.TrimSpace(get("prompt")),
		Model:       get("model"),
		AspectRatio: get("aspect_ratio"),
		Size:        get("size"),
		Count:       strings.TrimSpace(get("count")),
		Seed:        strings.TrimSpace(get("seed")),
	}
}

// validate checks every field against the catalog and returns the job
// request, or false with f.Errors filled in.
func (f *promptForm) validate(models func(string) (imagegen.Model, bool)) (jobs.Request, bool) {
	errs := views.Errors{}
	req := jobs.Request{Prompt: f.Prompt, AspectRatio: f.AspectRatio, Size: f.Size}

	switch {
	case f.Prompt == "":
		errs["prompt"] = "Describe the image you want."
	case !utf8.ValidString(f.Prompt):
		errs["prompt"] = "The prompt is not valid text (invalid UTF-8)."
	case utf8.RuneCountInString(f.Prompt) > maxPromptRunes:
		errs["prompt"] = fmt.Sprintf("Keep the prompt to %d characters or fewer (it has %d).",
			maxPromptRunes, utf8.RuneCountInString(f.Prompt))
	case strings.ContainsFunc(f.Prompt, isPromptControl):
		errs["prompt"] = "The prompt contains control characters; remove them."
	}

	m, ok := models(f.Model)
	if !ok {
		errs["model"] = "Choose one of the listed models."
	} else {
		req.Model = m.ID
		if !slices.Contains(m.AspectRatios, f.AspectRatio) {
			errs["aspect_ratio"] = "Choose one of: " + strings.Join(m.AspectRatios, ", ") + "."
		}
		if f.Size == "" && len(m.Sizes) > 0 {
			req.Size = m.Sizes[0]
		} else if !slices.Contains(m.Sizes, f.Size) {
			errs["size"] = m.Name + " offers sizes " + strings.Join(m.Sizes, ", ") + "."
		}
	}

	n, err := strconv.Atoi(f.Count)
	if err != nil || n < 1 || n > 4 {
		errs["count"] = "Ask for 1 to 4 images."
	}
	req.Count = n

	if f.Seed != "" {
		seed, err := strconv.ParseInt(f.Seed, 10, 32)
		if err != nil || seed < 0 {
			errs["seed"] = "A seed is a whole number from 0 to 2147483647, or empty."
		}
		req.Seed = seed
	}

	f.Errors = errs
	return req, len(errs) == 0
}

// isPromptControl reports control characters other than line breaks and
// tabs, which a person may paste and a provider will refuse.
func isPromptControl(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\r' && r != '\t') || r == 0x7f
}

// formDefaults fills the studio form for a fresh visit, or from a remix
// link's query.
func (s *Server) formDefaults(r *http.Request) views.PromptForm {
	q := r.URL.Query()
	f := views.PromptForm{Model: s.defaultModel(), AspectRatio: "1:1", Size: "1K", Count: "1"}
	if v := q.Get("prompt"); v != "" {
		f.Prompt = v
	}
	for key, dst := range map[string]*string{"model": &f.Model,
		"aspect_ratio": &f.AspectRatio, "size": &f.Size, "seed": &f.Seed} {
		if v := q.Get(key); v != "" {
			*dst = v
		}
	}
	return f
}

// modelOptions lists the catalog for the model select.
func (s *Server) modelOptions() []views.ModelOption {
	var out []views.ModelOption
	for _, m := range s.runner.Models() {
		out = append(out, views.ModelOption{ID: m.ID, Name: m.Name, Offline: m.Offline,
			AspectRatios: m.AspectRatios, Sizes: m.Sizes, MaxImages: 4})
	}
	return out
}
