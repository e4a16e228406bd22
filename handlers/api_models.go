package handlers

import (
	"net/http"

	"atelier/imagegen"
)

// maxImagesPerJob is the most images one generation may ask for, as the
// studio form allows.
const maxImagesPerJob = 4

// modelJSON is a model as GET /api/v1/models shows it. Prices are plain
// USD numbers, for reading; what a job really costs is its usd field.
type modelJSON struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Protocol     string   `json:"protocol"`
	Offline      bool     `json:"offline"`
	Default      bool     `json:"default"`
	AspectRatios []string `json:"aspect_ratios"` // first is the default
	Sizes        []string `json:"sizes"`         // first is the default
	MaxImages    int      `json:"max_images"`

	// Per-image models have a price per image; token-priced ones have
	// prices per million tokens instead.
	PricePerImage *float64           `json:"price_per_image_usd,omitempty"`
	TokenPrices   *tokenPricesJSON   `json:"token_prices_usd_per_million,omitempty"`
	EstimateUSD   map[string]float64 `json:"estimated_usd_per_image"` // by size
	BudgetTokens  map[string]int64   `json:"budget_tokens_per_image"` // by size
}

// tokenPricesJSON is a token-priced model's prices per million tokens.
// Thinking is billed as text output.
type tokenPricesJSON struct {
	Input       float64 `json:"input"`
	ImageOutput float64 `json:"image_output"`
	TextOutput  float64 `json:"text_output"`
}

// getAPIModels lists the models members may choose, default first, so a
// script can discover ids, shapes, sizes and prices instead of hard-coding
// them.
func (s *Server) getAPIModels(w http.ResponseWriter, r *http.Request) {
	def := s.defaultModel()
	out := struct {
		Models []modelJSON `json:"models"`
	}{Models: []modelJSON{}}
	for _, m := range s.runner.Models() {
		out.Models = append(out.Models, describeModel(m, m.ID == def))
	}
	writeJSON(w, http.StatusOK, out)
}

// describeModel turns a catalog entry into its API form.
func describeModel(m imagegen.Model, isDefault bool) modelJSON {
	v := modelJSON{ID: m.ID, Name: m.Name, Protocol: string(m.Protocol),
		Offline: m.Offline, Default: isDefault, AspectRatios: nonNil(m.AspectRatios),
		Sizes: nonNil(m.Sizes), MaxImages: maxImagesPerJob,
		EstimateUSD: map[string]float64{}, BudgetTokens: map[string]int64{}}
	if m.TokenPriced() {
		v.TokenPrices = &tokenPricesJSON{Input: usd(m.PriceInputPerM),
			ImageOutput: usd(m.PriceImageOutPerM), TextOutput: usd(m.PriceTextOutPerM)}
	} else {
		p := usd(m.PricePerImage)
		v.PricePerImage = &p
	}
	for _, size := range m.Sizes {
		tokens, micros := m.Estimate(size, 1)
		v.EstimateUSD[size], v.BudgetTokens[size] = usd(micros), tokens
	}
	return v
}

// usd turns micro-USD into a USD number.
func usd(micros int64) float64 { return float64(micros) / 1e6 }

// nonNil keeps an empty list a JSON [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
