package imagegen

import (
	"errors"
	"slices"
	"testing"
)

// mustModel looks up a default model or stops the test.
func mustModel(t *testing.T, id string) Model {
	t.Helper()
	m, ok := DefaultCatalog().Lookup(id)
	if !ok {
		t.Fatalf("default catalog has no %q", id)
	}
	return m
}

func TestDefaultCatalogModels(t *testing.T) {
	c := DefaultCatalog()
	want := []string{
		"offline",
		"gemini-2.5-flash-image",
		"gemini-3.1-flash-image-preview",
		"gemini-3-pro-image-preview",
		"imagen-4.0-generate-001",
		"imagen-4.0-fast-generate-001",
		"imagen-4.0-ultra-generate-001",
	}
	var got []string
	for _, m := range c.Models() {
		got = append(got, m.ID)
		if err := m.validate(); err != nil {
			t.Errorf("default %s invalid: %v", m.ID, err)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Models() = %v, want %v", got, want)
	}
	groups := c.Groups()
	if !slices.Equal(groups, []string{"gemini-image", "imagen-4", "offline"}) {
		t.Errorf("Groups() = %v", groups)
	}
	if _, ok := c.Lookup("dall-e-3"); ok {
		t.Error("Lookup of an unknown id succeeded")
	}
	if m := mustModel(t, "imagen-4.0-fast-generate-001"); !slices.Equal(m.Sizes,
		[]string{"1K"}) {
		t.Errorf("imagen fast sizes = %v", m.Sizes)
	}
}

func TestLookupReturnsCopy(t *testing.T) {
	c := DefaultCatalog()
	m, _ := c.Lookup("offline")
	m.TokenWeights["1K"] = 99
	m.Sizes[0] = "9K"
	again, _ := c.Lookup("offline")
	if again.TokenWeights["1K"] != 1 || again.Sizes[0] != "1K" {
		t.Errorf("editing a looked-up model changed the catalog: %+v", again)
	}
}

func TestWeight(t *testing.T) {
	cases := []struct {
		model, size string
		want        int64
	}{
		{"offline", "1K", 1},
		{"offline", "2K", 4},
		{"offline", "", 1}, // default size
		{"offline", "4K", 0},
		{"imagen-4.0-fast-generate-001", "2K", 0}, // fast offers 1K only
		{"gemini-3-pro-image-preview", "2K", 4},
	}
	for _, tc := range cases {
		if got := mustModel(t, tc.model).Weight(tc.size); got != tc.want {
			t.Errorf("%s Weight(%q) = %d, want %d", tc.model, tc.size, got, tc.want)
		}
	}
}

func TestCost(t *testing.T) {
	cases := []struct {
		name   string
		model  string
		usage  Usage
		images int
		want   int64
	}{
		{"imagen per image", "imagen-4.0-generate-001", Usage{}, 3, 120_000},
		{"imagen fast", "imagen-4.0-fast-generate-001", Usage{}, 1, 20_000},
		{"imagen ultra none delivered", "imagen-4.0-ultra-generate-001",
			Usage{}, 0, 0},
		{"offline is free", "offline", Usage{Reported: true, ImageTokens: 4}, 4, 0},
		// 1290 image tokens at $30/M = $0.0387 exactly.
		{"flash 2.5 image only", "gemini-2.5-flash-image",
			Usage{Reported: true, ImageTokens: 1290}, 1, 38_700},
		// 10 prompt at $0.30/M = 3 micro; 1290 at $30/M = 38 700.
		{"flash 2.5 with prompt", "gemini-2.5-flash-image",
			Usage{Reported: true, PromptTokens: 10, ImageTokens: 1290}, 1, 38_703},
		// 1 prompt token at $0.30/M = 0.3 micro, rounded up to 1.
		{"rounds up to the micro", "gemini-2.5-flash-image",
			Usage{Reported: true, PromptTokens: 1}, 0, 1},
		// 100 prompt at $2/M = 200; 1120 at $120/M = 134 400;
		// (50 text + 250 thought) at $12/M = 3 600.
		{"pro with thinking", "gemini-3-pro-image-preview",
			Usage{Reported: true, PromptTokens: 100, ImageTokens: 1120,
				TextTokens: 50, ThoughtTokens: 250}, 1, 138_200},
		// 7 prompt at $0.50/M = 3.5; 1680 at $60/M = 100 800;
		// 3 thought at $3/M = 9 → 100 812.5, rounded up.
		{"3.1 flash mixed rounding", "gemini-3.1-flash-image-preview",
			Usage{Reported: true, PromptTokens: 7, ImageTokens: 1680,
				ThoughtTokens: 3}, 1, 100_813},
		{"token model ignores image count", "gemini-3-pro-image-preview",
			Usage{Reported: true}, 4, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := mustModel(t, tc.model).Cost(tc.usage, tc.images)
			if got != tc.want {
				t.Errorf("Cost = %d micro-USD, want %d", got, tc.want)
			}
		})
	}
}

func TestEstimate(t *testing.T) {
	cases := []struct {
		name         string
		model, size  string
		n            int
		tokens, cost int64
	}{
		{"imagen two 2K", "imagen-4.0-generate-001", "2K", 2, 8, 80_000},
		{"offline four 1K", "offline", "1K", 4, 4, 0},
		// One call: 500 prompt × $0.30/M = 150; 1290 × $30/M = 38 700;
		// 100 text × $2.50/M = 250.
		{"flash 2.5 one", "gemini-2.5-flash-image", "1K", 1, 1, 39_100},
		// Two calls: 1000 prompt × $2/M = 2 000; 2 × 1120 × $120/M =
		// 268 800; 1200 text × $12/M = 14 400.
		{"pro two 2K", "gemini-3-pro-image-preview", "2K", 2, 8, 285_200},
		// 500 × $0.50/M = 250; 1680 × $60/M = 100 800; 400 × $3/M = 1 200.
		{"3.1 flash default size is 1K", "gemini-3.1-flash-image-preview",
			"", 1, 1, 250 + 67_200 + 1_200},
		{"none", "imagen-4.0-generate-001", "1K", 0, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok, cost := mustModel(t, tc.model).Estimate(tc.size, tc.n)
			if tok != tc.tokens || cost != tc.cost {
				t.Errorf("Estimate = (%d, %d), want (%d, %d)",
					tok, cost, tc.tokens, tc.cost)
			}
		})
	}
}

func TestCheckRequest(t *testing.T) {
	fast := mustModel(t, "imagen-4.0-fast-generate-001")
	ok := Request{AspectRatio: "16:9", Size: "1K", Count: 4}
	if err := fast.CheckRequest(ok); err != nil {
		t.Errorf("valid request refused: %v", err)
	}
	bad := []Request{
		{AspectRatio: "2:1", Size: "1K", Count: 1},
		{AspectRatio: "1:1", Size: "2K", Count: 1},
		{AspectRatio: "1:1", Size: "1K", Count: 5},
		{AspectRatio: "1:1", Size: "1K", Count: -1},
	}
	for _, req := range bad {
		var e *Error
		err := fast.CheckRequest(req)
		if !errors.As(err, &e) || e.Class != ClassBadRequest {
			t.Errorf("CheckRequest(%+v) = %v, want a ClassBadRequest", req, err)
		}
	}
}
