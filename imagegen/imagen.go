package imagegen

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/genai"
)

// ImagenConfig configures the Imagen provider, on the Gemini API (APIKey)
// or on Vertex (Vertex, Project, Location, AccessToken).
type ImagenConfig struct {
	APIKey      string
	BaseURL     string // "" for Google's; tests point it at a fake
	Vertex      bool
	Project     string
	Location    string
	AccessToken string // Vertex bearer token
	HTTPClient  *http.Client

	// Catalog, when set, decides whether a model takes sampleImageSize
	// (only models offering more than one size do).
	Catalog *Catalog

	// Now is the clock that resolves Retry-After dates (default time.Now).
	Now func() time.Time
}

// defaultGeminiBase is the Gemini API's address.
const defaultGeminiBase = "https://generativelanguage.googleapis.com"

// maxAnswer bounds a :predict answer: four 2K PNGs in base64.
const maxAnswer = 256 << 20

// Imagen makes images with Imagen's :predict. On the Gemini API it is a
// plain HTTP call, because the SDK's GenerateImages works only on Vertex;
// on Vertex it is the SDK's GenerateImages.
type Imagen struct {
	cfg    ImagenConfig
	http   *http.Client
	vertex *genai.Client
}

// NewImagen returns an Imagen provider. Its errors never quote the key.
func NewImagen(ctx context.Context, cfg ImagenConfig) (*Imagen, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = defaultGeminiBase
	}
	im := &Imagen{cfg: cfg, http: recordingClient(cfg.HTTPClient, "")}
	if !cfg.Vertex {
		if cfg.APIKey == "" {
			return nil, errors.New("imagen: no API key configured")
		}
		return im, nil
	}
	if cfg.Project == "" || cfg.Location == "" || cfg.AccessToken == "" {
		return nil, errors.New("imagen: Vertex needs a project, a location " +
			"and an access token")
	}

	// The token rides on our own transport rather than SDK credentials:
	// given credentials the SDK builds its own transport, which may
	// consult the environment (default credentials, client
	// certificates), a surprise a server with a fixed token must avoid.
	// Given an HTTP client, the SDK uses it as is.
	var err error
	im.vertex, err = genai.NewClient(ctx, &genai.ClientConfig{
		Backend:     genai.BackendVertexAI,
		Project:     cfg.Project,
		Location:    cfg.Location,
		HTTPClient:  recordingClient(cfg.HTTPClient, cfg.AccessToken),
		HTTPOptions: genai.HTTPOptions{BaseURL: vertexBase(cfg.BaseURL)},
	})
	if err != nil {
		return nil, fmt.Errorf("imagen: %s", scrub(err.Error(), cfg.AccessToken))
	}
	return im, nil
}

// vertexBase keeps a custom base URL and drops the Gemini API default,
// letting the SDK pick the regional Vertex address.
func vertexBase(base string) string {
	if base == defaultGeminiBase {
		return ""
	}
	return base
}

// Generate makes Count images (1 to 4) with one :predict call.
func (im *Imagen) Generate(ctx context.Context, req Request) (Result, error) {
	n := max(req.Count, 1)
	var preds []prediction
	var err error
	if im.vertex != nil {
		preds, err = im.predictVertex(ctx, req, n)
	} else {
		preds, err = im.predictGemini(ctx, req, n)
	}
	if err != nil {
		return Result{}, err
	}
	return readPredictions(preds, n)
}

// prediction is one entry of predictions[]: an image or a filter reason.
type prediction struct {
	data   []byte
	reason string
	prompt string
}

// predictBody is the :predict request of the Gemini API.
type predictBody struct {
	Instances  []predictInstance `json:"instances"`
	Parameters predictParams     `json:"parameters"`
}

type predictInstance struct {
	Prompt string `json:"prompt"`
}

// predictParams are the documented Imagen parameters Atelier sends. The
// Gemini API takes no seed for Imagen, so none is sent there.
type predictParams struct {
	SampleCount      int    `json:"sampleCount"`
	AspectRatio      string `json:"aspectRatio,omitempty"`
	SampleImageSize  string `json:"sampleImageSize,omitempty"`
	PersonGeneration string `json:"personGeneration"`
	IncludeRaiReason bool   `json:"includeRaiReason"`
}

// predictAnswer is the :predict answer.
type predictAnswer struct {
	Predictions []struct {
		BytesBase64Encoded string `json:"bytesBase64Encoded"`
		MIMEType           string `json:"mimeType"`
		RaiFilteredReason  string `json:"raiFilteredReason"`
		Prompt             string `json:"prompt"`
	} `json:"predictions"`
}

// predictGemini calls :predict on the Gemini API over plain HTTP.
func (im *Imagen) predictGemini(ctx context.Context, req Request, n int) (
	[]prediction, error) {
	body, _ := json.Marshal(predictBody{
		Instances: []predictInstance{{Prompt: req.Prompt}},
		Parameters: predictParams{
			SampleCount: n, AspectRatio: req.AspectRatio,
			SampleImageSize:  sizeParam(im.cfg.Catalog, req.Model, req.Size),
			PersonGeneration: "allow_adult", IncludeRaiReason: true,
		},
	})
	endpoint := strings.TrimRight(im.cfg.BaseURL, "/") + "/v1beta/models/" +
		url.PathEscape(req.Model) + ":predict"
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint,
		bytes.NewReader(body))
	if err != nil {
		return nil, &Error{Class: ClassBadRequest, Reason: "bad provider address"}
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("x-goog-api-key", im.cfg.APIKey)

	// Send, then read the answer or classify the failure.
	raw := &captured{}
	resp, err := im.http.Do(hreq.WithContext(withCapture(ctx, raw)))
	if err != nil {
		return nil, classifyFailure(err, im.cfg.APIKey)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, classifyCall(ctx, errors.New(resp.Status), raw,
			im.cfg.APIKey, im.cfg.Now())
	}
	return decodePredictions(resp.Body)
}

// decodePredictions reads a :predict answer body.
func decodePredictions(r io.Reader) ([]prediction, error) {
	var a predictAnswer
	if err := json.NewDecoder(io.LimitReader(r, maxAnswer)).Decode(&a); err != nil {
		return nil, &Error{Class: ClassTransient, Status: http.StatusOK,
			Reason: "the provider's answer was malformed JSON: " + err.Error()}
	}
	preds := make([]prediction, 0, len(a.Predictions))
	for i, p := range a.Predictions {
		pr := prediction{reason: p.RaiFilteredReason, prompt: p.Prompt}
		if p.BytesBase64Encoded != "" {
			data, err := base64.StdEncoding.DecodeString(p.BytesBase64Encoded)
			if err != nil {
				return nil, &Error{Class: ClassTransient, Status: http.StatusOK,
					Reason: fmt.Sprintf("the provider's image %d was not valid "+
						"base64", i+1)}
			}
			pr.data = data
		}
		preds = append(preds, pr)
	}
	return preds, nil
}

// predictVertex calls :predict on Vertex through the SDK.
func (im *Imagen) predictVertex(ctx context.Context, req Request, n int) (
	[]prediction, error) {
	cfg := &genai.GenerateImagesConfig{
		NumberOfImages:   int32(n),
		AspectRatio:      req.AspectRatio,
		ImageSize:        sizeParam(im.cfg.Catalog, req.Model, req.Size),
		PersonGeneration: genai.PersonGenerationAllowAdult,
		IncludeRAIReason: true,
	}

	// Vertex takes a seed only with the watermark off; the SDK omits a
	// false addWatermark, so it is added to the body explicitly.
	if req.Seed != 0 {
		cfg.Seed = seed32(req.Seed)
		cfg.HTTPOptions = &genai.HTTPOptions{ExtraBody: map[string]any{
			"parameters": map[string]any{"addWatermark": false},
		}}
	}
	raw := &captured{}
	resp, err := im.vertex.Models.GenerateImages(withCapture(ctx, raw),
		req.Model, req.Prompt, cfg)
	if err != nil {
		return nil, classifyCall(ctx, err, raw, im.cfg.AccessToken, im.cfg.Now())
	}
	preds := make([]prediction, 0, len(resp.GeneratedImages))
	for _, g := range resp.GeneratedImages {
		if g == nil {
			continue
		}
		pr := prediction{reason: g.RAIFilteredReason, prompt: g.EnhancedPrompt}
		if g.Image != nil {
			pr.data = g.Image.ImageBytes
		}
		preds = append(preds, pr)
	}
	return preds, nil
}

// readPredictions turns predictions into a Result. Filtered images are
// listed in Result.Filtered and are not billed; images missing without
// a reason count as filtered too.
//
// Two outcomes are errors rather than a Result:
//   - every image filtered: ClassBlocked, zero usage (the provider bills
//     nothing), the filter's reason shown to the member;
//   - no predictions at all: ClassNoImage. Imagen answers that way when
//     it withheld everything without giving reasons; retrying would
//     spend quota on the same answer.
func readPredictions(preds []prediction, n int) (Result, error) {
	var res Result
	for _, p := range preds {
		switch {
		case len(p.data) > 0:
			img, err := imageFrom(p.data)
			if err != nil {
				return Result{}, err
			}
			res.Images = append(res.Images, img)
		case p.reason != "":
			res.Filtered = append(res.Filtered, p.reason)
		}
		if res.RewrittenPrompt == "" {
			res.RewrittenPrompt = p.prompt
		}
	}
	if len(res.Images) == 0 && len(res.Filtered) == 0 {
		return Result{}, &Error{Class: ClassNoImage, Status: http.StatusOK,
			Reason: "the provider returned no images and gave no reason"}
	}
	for range n - len(res.Images) - len(res.Filtered) {
		res.Filtered = append(res.Filtered, "withheld by the provider without a reason")
	}
	if len(res.Images) == 0 {
		return Result{}, &Error{Class: ClassBlocked, Code: "RAI_FILTERED",
			Status: http.StatusOK, Reason: withDetail(
				"the provider's safety filter withheld every image", res.Filtered[0])}
	}
	return res, nil
}
