package imagegen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/genai"
)

// GeminiConfig configures the Gemini image-model provider.
type GeminiConfig struct {
	APIKey     string
	BaseURL    string       // "" for Google's; tests point it at a fake
	HTTPClient *http.Client // nil for a default client
	APIVersion string       // "" for the SDK's default ("v1")

	// Catalog, when set, decides whether a model takes imageSize: only
	// models offering more than one size get it. Nil sends Size whenever
	// the request has one.
	Catalog *Catalog

	// Now is the clock that resolves Retry-After dates (default time.Now).
	Now func() time.Time
}

// Gemini makes images with Gemini's native image models through the
// official SDK's generateContent.
type Gemini struct {
	client *genai.Client
	key    string
	cat    *Catalog
	now    func() time.Time
}

// NewGemini returns a Gemini provider. Its errors never quote the key.
func NewGemini(ctx context.Context, cfg GeminiConfig) (*Gemini, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("gemini: no API key configured")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey:     cfg.APIKey,
		Backend:    genai.BackendGeminiAPI,
		HTTPClient: recordingClient(cfg.HTTPClient, ""),
		HTTPOptions: genai.HTTPOptions{
			BaseURL:    cfg.BaseURL,
			APIVersion: cfg.APIVersion,
		},
	})
	if err != nil {
		// The SDK's message may print the whole configuration.
		return nil, fmt.Errorf("gemini: %s", scrub(err.Error(), cfg.APIKey))
	}
	return &Gemini{client: client, key: cfg.APIKey, cat: cfg.Catalog, now: cfg.Now}, nil
}

// Generate makes one image with one generateContent call. Gemini image
// models refuse more than one candidate, so n images are n calls, each
// through the limiter and billed on its own: Count must be 0 or 1.
func (g *Gemini) Generate(ctx context.Context, req Request) (Result, error) {
	if req.Count > 1 {
		return Result{}, &Error{Class: ClassBadRequest, Code: "INVALID_ARGUMENT",
			Reason: fmt.Sprintf("%s makes one image per call, not %d",
				req.Model, req.Count)}
	}

	// One call; the raw answer is kept for classifying errors.
	raw := &captured{}
	resp, err := g.client.Models.GenerateContent(withCapture(ctx, raw),
		req.Model, genai.Text(req.Prompt), g.config(req))
	if err != nil {
		return Result{}, g.failure(ctx, err, raw)
	}
	res, err := readGemini(resp)
	addFinishMessage(err, raw)
	return res, err
}

// addFinishMessage adds the provider's finishMessage, which the SDK does
// not carry on the Gemini API, to a blocked or no-image reason.
func addFinishMessage(err error, raw *captured) {
	var e *Error
	if !errors.As(err, &e) || raw.ok == nil ||
		(e.Class != ClassBlocked && e.Class != ClassNoImage) ||
		strings.Contains(e.Reason, ": ") {
		return
	}
	var body struct {
		Candidates []struct {
			FinishMessage string `json:"finishMessage"`
		} `json:"candidates"`
	}
	if json.Unmarshal(raw.ok.Bytes(), &body) == nil && len(body.Candidates) > 0 {
		e.Reason = withDetail(e.Reason, body.Candidates[0].FinishMessage)
	}
}

// config builds the generation config of one call.
func (g *Gemini) config(req Request) *genai.GenerateContentConfig {
	// TEXT is asked for too: some image models refuse IMAGE alone, and
	// a text-only answer is then read as "no image", not lost.
	off := false
	cfg := &genai.GenerateContentConfig{
		ResponseModalities: []string{"TEXT", "IMAGE"},
		// One call must stay one upstream request for the limiter.
		AutomaticContinuation: &off,
	}
	size := sizeParam(g.cat, req.Model, req.Size)
	if req.AspectRatio != "" || size != "" {
		cfg.ImageConfig = &genai.ImageConfig{AspectRatio: req.AspectRatio, ImageSize: size}
	}
	if req.Seed != 0 {
		cfg.Seed = seed32(req.Seed)
	}
	return cfg
}

// failure classifies a call that returned an error.
func (g *Gemini) failure(ctx context.Context, err error, raw *captured) *Error {
	return classifyCall(ctx, err, raw, g.key, g.now())
}

// classifyCall classifies a failed call from its raw answer when there
// was one, else from the error.
func classifyCall(ctx context.Context, err error, raw *captured, key string,
	now time.Time) *Error {
	switch {
	case raw.status >= 300:
		e := ClassifyHTTP(raw.status, raw.header, raw.body, now)
		e.Reason = scrub(e.Reason, key)
		return e
	case raw.status >= 200 && ctx.Err() == nil:
		// A 200 that the SDK could not decode: cut JSON, bad base64.
		return &Error{Class: ClassTransient, Status: raw.status,
			Reason: scrub(shorten("the provider's answer was malformed: "+
				err.Error(), 300), key)}
	}
	var apiErr genai.APIError
	if errors.As(err, &apiErr) {
		e := ClassifyHTTP(apiErr.Code, nil, []byte(fmt.Sprintf(
			`{"error":{"code":%d,"message":%q,"status":%q}}`,
			apiErr.Code, apiErr.Message, apiErr.Status)), now)
		e.Reason = scrub(e.Reason, key)
		return e
	}
	return classifyFailure(err, key)
}

// sizeParam returns the size to send, or "" when the model takes none.
func sizeParam(cat *Catalog, model, size string) string {
	if size == "" || cat == nil {
		return size
	}
	if m, ok := cat.Lookup(model); ok && len(m.Sizes) <= 1 {
		return ""
	}
	return size
}

// seed32 folds a seed into the int32 the APIs take.
func seed32(seed int64) *int32 {
	s := int32(seed % (1 << 31))
	return &s
}

// blockingFinish are the finish reasons that mean the provider refused
// the output; anything else without an image is "no image".
var blockingFinish = map[genai.FinishReason]bool{
	"SAFETY": true, "RECITATION": true, "BLOCKLIST": true,
	"PROHIBITED_CONTENT": true, "SPII": true, "IMAGE_SAFETY": true,
	"IMAGE_PROHIBITED_CONTENT": true, "IMAGE_RECITATION": true,
	"MODEL_ARMOR": true,
}

// readGemini reads a generateContent answer: the final image, or why
// there is none, with the usage the provider reported.
func readGemini(resp *genai.GenerateContentResponse) (Result, error) {
	usage := geminiUsage(resp.UsageMetadata, false)

	// A blocked prompt has no candidates and a real block reason.
	if pf := resp.PromptFeedback; pf != nil && isBlockReason(string(pf.BlockReason)) {
		return Result{}, &Error{Class: ClassBlocked, Code: string(pf.BlockReason),
			Status: http.StatusOK, Usage: usage, Reason: withDetail(fmt.Sprintf(
				"the provider blocked the prompt (%s)", pf.BlockReason),
				pf.BlockReasonMessage)}
	}
	if len(resp.Candidates) == 0 || resp.Candidates[0] == nil {
		return Result{}, &Error{Class: ClassNoImage, Status: http.StatusOK,
			Usage: usage, Reason: "the provider answered without an image"}
	}
	cand := resp.Candidates[0]

	// The final image, else the only (thought-marked) one.
	data, text := pickImage(cand.Content)
	if data != nil {
		img, err := imageFrom(data)
		if err != nil {
			return Result{}, err
		}
		usage = geminiUsage(resp.UsageMetadata, true)
		return Result{Images: []Image{img}, Usage: usage}, nil
	}
	return Result{}, noImage(cand, text, usage)
}

// noImage explains a candidate that carries no image.
func noImage(cand *genai.Candidate, text string, usage Usage) *Error {
	fr := cand.FinishReason
	e := &Error{Class: ClassNoImage, Code: string(fr), Status: http.StatusOK, Usage: usage}
	switch {
	case blockingFinish[fr]:
		e.Class = ClassBlocked
		e.Reason = withDetail(fmt.Sprintf(
			"blocked by the provider's safety filter (%s)", fr), cand.FinishMessage)
	case text != "":
		e.Reason = "the model answered with text only: " + shorten(text, 200)
	default:
		e.Reason = withDetail(fmt.Sprintf(
			"the model finished without an image (%s)", fr), cand.FinishMessage)
	}
	return e
}

// pickImage returns the last non-thought image of the content (the
// final one after any drafts), else the last thought image, and the
// text the model wrote.
func pickImage(c *genai.Content) (data []byte, text string) {
	if c == nil {
		return nil, ""
	}
	var final, draft []byte
	var texts []string
	for _, p := range c.Parts {
		switch {
		case p == nil:
		case p.InlineData != nil && len(p.InlineData.Data) > 0 && p.Thought:
			draft = p.InlineData.Data
		case p.InlineData != nil && len(p.InlineData.Data) > 0:
			final = p.InlineData.Data
		case p.Text != "" && !p.Thought:
			texts = append(texts, strings.TrimSpace(p.Text))
		}
	}
	if final == nil {
		final = draft
	}
	return final, strings.Join(texts, " ")
}

// imageFrom builds an Image, its type and size read from the bytes.
func imageFrom(data []byte) (Image, error) {
	mime := DetectMIME(data)
	w, h, err := Dimensions(data)
	if mime == "" || err != nil {
		return Image{}, &Error{Class: ClassTransient, Status: http.StatusOK,
			Reason: "the provider sent image data that is not a readable image"}
	}
	return Image{Data: data, MIME: mime, Width: w, Height: h}, nil
}

// isBlockReason reports whether a prompt block reason is a real block.
func isBlockReason(r string) bool {
	return r != "" && r != "BLOCK_REASON_UNSPECIFIED" &&
		r != string(genai.BlockedReasonUnspecified)
}

// withDetail appends the provider's explanation when there is one.
func withDetail(reason, detail string) string {
	if detail = strings.TrimSpace(detail); detail != "" {
		return reason + ": " + shorten(detail, 200)
	}
	return reason
}

// geminiUsage reads usageMetadata. Absent or hollow metadata (only
// trafficType) is reported as not Reported, never as zero tokens. The
// image share of the output comes from candidatesTokensDetails; when
// the details are missing and the answer carried an image, the whole
// output is counted as image tokens, the rate the provider bills images.
func geminiUsage(md *genai.GenerateContentResponseUsageMetadata, gotImage bool) Usage {
	if md == nil || (md.PromptTokenCount == 0 && md.CandidatesTokenCount == 0 &&
		md.ThoughtsTokenCount == 0 && md.TotalTokenCount == 0) {
		return Usage{}
	}
	u := Usage{Reported: true, PromptTokens: int64(md.PromptTokenCount),
		ThoughtTokens: int64(md.ThoughtsTokenCount)}
	out := int64(md.CandidatesTokenCount)
	detailed := false
	for _, d := range md.CandidatesTokensDetails {
		if d != nil && d.Modality == genai.MediaModalityImage {
			u.ImageTokens += int64(d.TokenCount)
			detailed = true
		}
		detailed = detailed || d != nil
	}
	if !detailed && gotImage {
		u.ImageTokens = out
	}
	u.TextTokens = max(out-u.ImageTokens, 0)
	return u
}
