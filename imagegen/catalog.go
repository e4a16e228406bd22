package imagegen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Protocol names the wire protocol a model speaks.
type Protocol string

// The protocols Atelier speaks.
const (
	ProtocolOffline Protocol = "offline" // built-in renderer, no upstream
	ProtocolGemini  Protocol = "gemini"  // generateContent, billed by tokens
	ProtocolImagen  Protocol = "imagen"  // :predict, billed per image
)

// Model is one catalog entry: how to call a model and what it costs.
// Money is int64 micro-USD everywhere (1 USD = 1_000_000), so sums never
// drift the way float dollars do.
//
// Two kinds of "token" live here. TokenWeights are Atelier's own unit, the
// one the shared limiter and the members' budgets count (1 per 1K image by
// default). EstOutputTokens, EstPromptTokens and EstTextTokens are the
// provider's billing tokens, used only to price a reservation before the
// upstream reports its real usage.
type Model struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Protocol Protocol `json:"protocol"`

	// Group names the upstream quota the model shares with its siblings;
	// the limiter keeps one bucket per group.
	Group string `json:"group"`

	// PricePerImage is the per-image price of per-image models (Imagen).
	PricePerImage int64 `json:"price_per_image"`

	// Prices per million billing tokens of token-priced models (Gemini).
	// Thinking tokens are billed at the text-output rate.
	PriceInputPerM    int64 `json:"price_input_per_m"`
	PriceImageOutPerM int64 `json:"price_image_out_per_m"`
	PriceTextOutPerM  int64 `json:"price_text_out_per_m"`

	// TokenWeights is the limiter and budget weight of one image, by size.
	TokenWeights map[string]int64 `json:"token_weights"`

	// EstOutputTokens is the provider's image-output tokens for one image,
	// by size (Gemini only); reservations are priced with it.
	EstOutputTokens map[string]int64 `json:"est_output_tokens"`

	// EstPromptTokens is the prompt tokens one call is expected to bill.
	EstPromptTokens int64 `json:"est_prompt_tokens"`

	// EstTextTokens is the text plus thinking output one call is expected
	// to bill; thinking models spend a few hundred before drawing.
	EstTextTokens int64 `json:"est_text_tokens"`

	Sizes            []string `json:"sizes"`         // first is the default
	AspectRatios     []string `json:"aspect_ratios"` // first is the default
	MaxImagesPerCall int      `json:"max_images_per_call"`
	Offline          bool     `json:"offline"`
}

// perMillion converts "price per million tokens" arithmetic to micro-USD.
const perMillion = 1_000_000

// TokenPriced reports whether the provider bills the model by tokens
// rather than per image.
func (m Model) TokenPriced() bool { return m.Protocol == ProtocolGemini }

// sizeOrDefault maps an empty size to the model's default size, because
// a request may leave the size out for models that take none.
func (m Model) sizeOrDefault(size string) string {
	if size == "" && len(m.Sizes) > 0 {
		return m.Sizes[0]
	}
	return size
}

// Weight returns the limiter and budget tokens one image of the given
// size costs. An empty size means the model's default size. A size the
// model does not offer weighs 0: callers validate with CheckRequest first,
// and a zero is easy to spot in a test, unlike a silently guessed weight.
func (m Model) Weight(size string) int64 {
	size = m.sizeOrDefault(size)
	if !slices.Contains(m.Sizes, size) {
		return 0
	}
	return m.TokenWeights[size]
}

// calls returns how many upstream calls n images take.
func (m Model) calls(n int) int64 {
	per := max(m.MaxImagesPerCall, 1)
	return int64((n + per - 1) / per)
}

// Estimate returns what to reserve for n images of the given size: the
// limiter and budget tokens, and the price in micro-USD. Token-priced
// models are priced from the Est* fields, once per upstream call for the
// prompt and text and once per image for the image output. The caller
// also charges this estimate when the provider reports no usage
// (Usage.Reported false), so a missing count never makes an image free.
func (m Model) Estimate(size string, n int) (tokens, micros int64) {
	if n <= 0 {
		return 0, 0
	}
	size = m.sizeOrDefault(size)
	tokens = m.Weight(size) * int64(n)

	// Per-image models: the price list is the estimate.
	if !m.TokenPriced() {
		return tokens, m.PricePerImage * int64(n)
	}

	// Token models: price the expected usage of every call.
	calls := m.calls(n)
	u := Usage{
		Reported:     true,
		PromptTokens: m.EstPromptTokens * calls,
		ImageTokens:  m.EstOutputTokens[size] * int64(n),
		TextTokens:   m.EstTextTokens * calls,
	}
	return tokens, m.Cost(u, n)
}

// Cost returns what the provider bills for one call that delivered images
// images with usage u. Per-image models bill delivered images only, so the
// caller passes the count after filtering. Token-priced models bill the
// prompt, image output and text plus thinking output per million tokens,
// rounded up to the micro, and nothing per image on top. Cost trusts u
// even when u.Reported is false; the caller must charge Estimate instead.
func (m Model) Cost(u Usage, images int) int64 {
	if !m.TokenPriced() {
		return m.PricePerImage * int64(max(images, 0))
	}
	sum := u.PromptTokens*m.PriceInputPerM +
		u.ImageTokens*m.PriceImageOutPerM +
		(u.TextTokens+u.ThoughtTokens)*m.PriceTextOutPerM
	if sum <= 0 {
		return 0
	}
	return (sum + perMillion - 1) / perMillion
}

// CheckRequest reports, as a ClassBadRequest *Error, a request the model
// cannot serve: unknown aspect ratio or size, or a bad image count.
func (m Model) CheckRequest(req Request) error {
	if !slices.Contains(m.AspectRatios, req.AspectRatio) {
		return invalidRequest(fmt.Sprintf(
			"%s does not offer aspect ratio %q", m.ID, req.AspectRatio))
	}
	if !slices.Contains(m.Sizes, m.sizeOrDefault(req.Size)) {
		return invalidRequest(fmt.Sprintf(
			"%s does not offer size %q", m.ID, req.Size))
	}
	if req.Count < 0 || req.Count > max(m.MaxImagesPerCall, 1) {
		return invalidRequest(fmt.Sprintf(
			"%s makes 1 to %d images per call, not %d",
			m.ID, max(m.MaxImagesPerCall, 1), req.Count))
	}
	return nil
}

// invalidRequest builds the error for a request we should never have sent.
func invalidRequest(reason string) *Error {
	return &Error{Class: ClassBadRequest, Reason: reason, Code: "INVALID_ARGUMENT"}
}

// clone returns a copy that shares no maps or slices with m, so loading a
// catalog never edits the defaults.
func (m Model) clone() Model {
	m.TokenWeights = maps.Clone(m.TokenWeights)
	m.EstOutputTokens = maps.Clone(m.EstOutputTokens)
	m.Sizes = slices.Clone(m.Sizes)
	m.AspectRatios = slices.Clone(m.AspectRatios)
	return m
}

// Catalog is the set of models Atelier offers, in a stable order.
type Catalog struct {
	models []Model
}

// Lookup returns the model with the given id.
func (c *Catalog) Lookup(id string) (Model, bool) {
	i := c.index(id)
	if i < 0 {
		return Model{}, false
	}
	return c.models[i].clone(), true
}

// index returns the position of id in the catalog, or -1.
func (c *Catalog) index(id string) int {
	return slices.IndexFunc(c.models, func(m Model) bool { return m.ID == id })
}

// Models returns every model: defaults first in their fixed order, then
// models a loaded file added, in file order.
func (c *Catalog) Models() []Model {
	out := make([]Model, len(c.models))
	for i, m := range c.models {
		out[i] = m.clone()
	}
	return out
}

// Groups returns the distinct limit groups, sorted.
func (c *Catalog) Groups() []string {
	var gs []string
	for _, m := range c.models {
		gs = append(gs, m.Group)
	}
	slices.Sort(gs)
	return slices.Compact(gs)
}

// LoadCatalog reads a JSON list of models and lays it over the defaults.
// An entry whose id is a default model patches it: fields the entry leaves
// out keep their default value, so an admin can change one price without
// restating the model. An entry with a new id adds a model. Unknown JSON
// fields are refused, because a misspelt price would otherwise be ignored.
func LoadCatalog(r io.Reader) (*Catalog, error) {
	var raws []json.RawMessage
	if err := json.NewDecoder(r).Decode(&raws); err != nil {
		return nil, fmt.Errorf("model catalog: %w", err)
	}
	c := DefaultCatalog()
	seen := map[string]bool{}
	for i, raw := range raws {
		m, err := c.merge(raw)
		if err != nil {
			return nil, fmt.Errorf("model catalog entry %d: %w", i+1, err)
		}
		if seen[m.ID] {
			return nil, fmt.Errorf("model catalog: %q listed twice", m.ID)
		}
		seen[m.ID] = true
	}
	return c, nil
}

// merge decodes one entry over its default (if any), validates it and
// stores it.
func (c *Catalog) merge(raw json.RawMessage) (Model, error) {
	// Find the id first, so the entry can be laid over its default.
	var head struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return Model{}, err
	}
	id := strings.TrimSpace(head.ID)
	if id == "" {
		return Model{}, errors.New("empty id")
	}
	var m Model
	i := c.index(id)
	if i >= 0 {
		m = c.models[i].clone()
	}

	// Decode strictly over the base.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Model{}, fmt.Errorf("%s: %w", id, err)
	}
	m.ID = id
	m.fillDefaults()
	if err := m.validate(); err != nil {
		return Model{}, fmt.Errorf("%s: %w", id, err)
	}

	// Replace in place or append.
	if i >= 0 {
		c.models[i] = m
	} else {
		c.models = append(c.models, m)
	}
	return m, nil
}

// fillDefaults supplies the values a short catalog entry may leave out.
func (m *Model) fillDefaults() {
	if m.Name == "" {
		m.Name = m.ID
	}
	if m.Group == "" {
		m.Group = m.ID
	}
	if m.TokenWeights == nil {
		m.TokenWeights = defaultWeights()
	}
	if m.MaxImagesPerCall == 0 {
		m.MaxImagesPerCall = 1
	}
	m.Offline = m.Protocol == ProtocolOffline
}

// validate refuses an entry that would misprice or misroute requests.
func (m Model) validate() error {
	switch m.Protocol {
	case ProtocolOffline, ProtocolGemini, ProtocolImagen:
	default:
		return fmt.Errorf("unknown protocol %q (want offline, gemini or imagen)",
			m.Protocol)
	}
	if m.PricePerImage < 0 || m.PriceInputPerM < 0 ||
		m.PriceImageOutPerM < 0 || m.PriceTextOutPerM < 0 ||
		m.EstPromptTokens < 0 || m.EstTextTokens < 0 {
		return errors.New("negative price or token estimate")
	}
	if m.MaxImagesPerCall < 1 {
		return errors.New("max_images_per_call must be at least 1")
	}
	if len(m.AspectRatios) == 0 {
		return errors.New("no aspect ratios")
	}
	for _, a := range m.AspectRatios {
		if !validRatio(a) {
			return fmt.Errorf("aspect ratio %q is not W:H", a)
		}
	}
	return m.validateSizes()
}

// validateSizes checks that every size has a positive weight and, for
// token-priced models, an output estimate; without them a reservation
// would be zero.
func (m Model) validateSizes() error {
	if len(m.Sizes) == 0 {
		return errors.New("no sizes")
	}
	for _, s := range m.Sizes {
		if m.TokenWeights[s] <= 0 {
			return fmt.Errorf("size %q has no positive token weight", s)
		}
		if m.TokenPriced() && m.EstOutputTokens[s] <= 0 {
			return fmt.Errorf("size %q has no positive output token estimate", s)
		}
	}
	return nil
}

// validRatio reports whether s reads "W:H" with positive whole numbers.
func validRatio(s string) bool {
	w, h, ok := strings.Cut(s, ":")
	if !ok {
		return false
	}
	wi, err1 := strconv.Atoi(w)
	hi, err2 := strconv.Atoi(h)
	return err1 == nil && err2 == nil && wi > 0 && hi > 0
}

// defaultWeights is the limiter weight by size when a catalog entry gives
// none: a 2K image has four times the pixels of a 1K one.
func defaultWeights() map[string]int64 { return map[string]int64{"1K": 1, "2K": 4} }

// fiveRatios is the set of aspect ratios every default model offers.
func fiveRatios() []string { return []string{"1:1", "3:4", "4:3", "9:16", "16:9"} }

// DefaultCatalog returns the built-in models. The prices are Google's
// published list prices for the Gemini Developer API at the time of
// writing (USD, standard tier, not batch) and the output token counts are
// the per-image figures Google documents; both change, so they are
// defaults an admin overrides with LoadCatalog, not facts to rely on.
// The Est{Prompt,Text}Tokens figures are our own guesses for a typical
// prompt and for the models' thinking, erring high so a reservation
// rarely falls short of the bill.
func DefaultCatalog() *Catalog {
	return &Catalog{models: []Model{
		{
			ID: "offline", Name: "Offline renderer", Protocol: ProtocolOffline,
			Group: "offline", TokenWeights: defaultWeights(),
			Sizes: []string{"1K", "2K"}, AspectRatios: fiveRatios(),
			MaxImagesPerCall: 4, Offline: true,
		},
		defaultGemini("gemini-2.5-flash-image", "Gemini 2.5 Flash Image",
			300_000, 30_000_000, 2_500_000, 100,
			map[string]int64{"1K": 1290}, "1K"),
		defaultGemini("gemini-3.1-flash-image-preview", "Gemini 3.1 Flash Image",
			500_000, 60_000_000, 3_000_000, 400,
			map[string]int64{"1K": 1120, "2K": 1680}, "1K", "2K"),
		defaultGemini("gemini-3-pro-image-preview", "Gemini 3 Pro Image",
			2_000_000, 120_000_000, 12_000_000, 600,
			map[string]int64{"1K": 1120, "2K": 1120}, "1K", "2K"),
		defaultImagen("imagen-4.0-generate-001", "Imagen 4", 40_000, "1K", "2K"),
		defaultImagen("imagen-4.0-fast-generate-001", "Imagen 4 Fast", 20_000, "1K"),
		defaultImagen("imagen-4.0-ultra-generate-001", "Imagen 4 Ultra", 60_000,
			"1K", "2K"),
	}}
}

// defaultGemini builds a token-priced generateContent model; prices are
// micro-USD per million tokens. Gemini answers one image per call.
func defaultGemini(id, name string, in, imageOut, textOut, estText int64,
	estOut map[string]int64, sizes ...string) Model {
	return Model{
		ID: id, Name: name, Protocol: ProtocolGemini, Group: "gemini-image",
		PriceInputPerM: in, PriceImageOutPerM: imageOut, PriceTextOutPerM: textOut,
		TokenWeights: defaultWeights(), EstOutputTokens: estOut,
		EstPromptTokens: 500, EstTextTokens: estText,
		Sizes: sizes, AspectRatios: fiveRatios(), MaxImagesPerCall: 1,
	}
}

// defaultImagen builds a per-image :predict model; price is micro-USD.
func defaultImagen(id, name string, price int64, sizes ...string) Model {
	return Model{
		ID: id, Name: name, Protocol: ProtocolImagen, Group: "imagen-4",
		PricePerImage: price, TokenWeights: defaultWeights(),
		Sizes: sizes, AspectRatios: fiveRatios(), MaxImagesPerCall: 4,
	}
}
