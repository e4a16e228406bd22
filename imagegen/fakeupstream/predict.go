package fakeupstream

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// predictRequest is an Imagen :predict body.
type predictRequest struct {
	Instances []struct {
		Prompt string `json:"prompt"`
	} `json:"instances"`
	Parameters struct {
		SampleCount      *int   `json:"sampleCount"`
		AspectRatio      string `json:"aspectRatio"`
		SampleImageSize  string `json:"sampleImageSize"`
		PersonGeneration string `json:"personGeneration"`
		Seed             *int64 `json:"seed"`
		AddWatermark     *bool  `json:"addWatermark"`
		EnhancePrompt    *bool  `json:"enhancePrompt"`
		IncludeRaiReason bool   `json:"includeRaiReason"`
	} `json:"parameters"`

	count        int
	aspect, size string
	w, h         int
}

// filterReason is what Imagen says about an image it withheld.
const filterReason = "Unable to show generated images. All images were " +
	"filtered out because they violated the usage guidelines. You will not " +
	"be charged for blocked images. Try rephrasing the prompt."

// decodePredict reads a :predict body and returns its TPM weight.
func (s *Server) decodePredict(c *call) (int, bool) {
	p := &predictRequest{}
	bad := func(msg string) (int, bool) {
		writeError(c.w, http.StatusBadRequest, msg)
		return 0, false
	}
	if err := json.Unmarshal(c.body, p); err != nil {
		return bad("Invalid JSON payload received. " + err.Error())
	}
	if len(p.Instances) != 1 || strings.TrimSpace(p.Instances[0].Prompt) == "" {
		return bad("instances[0].prompt is required")
	}

	// sampleCount defaults to 4 and must be 1 to 4.
	p.count = 4
	if p.Parameters.SampleCount != nil {
		p.count = *p.Parameters.SampleCount
	}
	if p.count < 1 || p.count > 4 {
		return bad(fmt.Sprintf("sampleCount must be 1 to 4, got %d", p.count))
	}

	// Vertex refuses a seed while the watermark (its default) is on.
	wm := p.Parameters.AddWatermark
	if c.vertex && p.Parameters.Seed != nil && (wm == nil || *wm) {
		return bad("Seed is not supported when watermark is enabled.")
	}
	p.aspect = orDefault(p.Parameters.AspectRatio, "1:1")
	p.size = strings.ToUpper(orDefault(p.Parameters.SampleImageSize, "1K"))
	var err error
	if p.w, p.h, err = Size(p.aspect, p.size); err != nil {
		return bad(err.Error())
	}
	c.pred = p
	return s.cfg.Weights[p.size] * p.count, true
}

// answerPredict answers :predict as fault f (nil: normally) says.
func (s *Server) answerPredict(c *call, f Fault) {
	p := c.pred
	prompt := p.Instances[0].Prompt
	filtered, mime, jpg := 0, "image/png", false

	// Shape the answer as the fault says.
	switch f := f.(type) {
	case FaultEmptyPredictions:
		writeJSON(c.w, http.StatusOK, map[string]any{"predictions": []any{}})
		return
	case FaultFilterAll:
		filtered = p.count
	case FaultFilterSome:
		filtered = min(f.N, p.count)
	case FaultWrongMIME:
		jpg = true
	}
	reason := filterReason
	if ff, ok := f.(FaultFilterAll); ok && ff.Reason != "" {
		reason = ff.Reason
	}
	if ff, ok := f.(FaultFilterSome); ok && ff.Reason != "" {
		reason = ff.Reason
	}

	// Images first, then the filtered entries (only when asked for
	// reasons: without includeRaiReason the real API just leaves them out).
	preds := []map[string]any{}
	for i := range p.count - filtered {
		data := base64.StdEncoding.EncodeToString(
			picture(fmt.Sprint(prompt, i), p.w, p.h, jpg))
		if _, ok := f.(FaultBadBase64); ok {
			data = "%%not*base64%%"
		}
		pr := map[string]any{"bytesBase64Encoded": data, "mimeType": mime}
		// Imagen 4 rewrites prompts unless told not to, and says how.
		if ep := p.Parameters.EnhancePrompt; ep == nil || *ep {
			pr["prompt"] = "A detailed, well-lit rendering of " + prompt
		}
		preds = append(preds, pr)
	}
	if p.Parameters.IncludeRaiReason {
		for range filtered {
			preds = append(preds, map[string]any{"raiFilteredReason": reason})
		}
	}
	out := map[string]any{"predictions": preds}
	if len(preds) == 0 {
		out = map[string]any{}
	}
	writeJSON(c.w, http.StatusOK, out)
}
