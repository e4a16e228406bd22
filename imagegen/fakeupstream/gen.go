package fakeupstream

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// genRequest is the part of a generateContent body the fake reads.
type genRequest struct {
	Contents []struct {
		Role  string `json:"role"`
		Parts []struct {
			Text string `json:"text"`
		} `json:"parts"`
	} `json:"contents"`
	GenerationConfig struct {
		ResponseModalities []string `json:"responseModalities"`
		CandidateCount     int      `json:"candidateCount"`
		Seed               *int64   `json:"seed"`
		ImageConfig        struct {
			AspectRatio string `json:"aspectRatio"`
			ImageSize   string `json:"imageSize"`
		} `json:"imageConfig"`
	} `json:"generationConfig"`

	prompt       string
	aspect, size string
	w, h         int
}

// decodeGen reads a generateContent body and returns its TPM weight.
func (s *Server) decodeGen(c *call) (int, bool) {
	g := &genRequest{}
	if err := json.Unmarshal(c.body, g); err != nil {
		writeError(c.w, http.StatusBadRequest, "Invalid JSON payload received. "+
			err.Error())
		return 0, false
	}

	// Image models make one candidate per call, as the real ones do.
	if g.GenerationConfig.CandidateCount > 1 {
		writeError(c.w, http.StatusBadRequest,
			"Multiple candidates is not enabled for models/"+c.model)
		return 0, false
	}
	for _, ct := range g.Contents {
		for _, p := range ct.Parts {
			g.prompt += p.Text
		}
	}
	if strings.TrimSpace(g.prompt) == "" {
		writeError(c.w, http.StatusBadRequest, "contents is not specified")
		return 0, false
	}

	// The size defaults to 1:1 at 1K when the request names none.
	g.aspect = g.GenerationConfig.ImageConfig.AspectRatio
	if g.aspect == "" {
		g.aspect = "1:1"
	}
	g.size = strings.ToUpper(g.GenerationConfig.ImageConfig.ImageSize)
	if g.size == "" {
		g.size = "1K"
	}
	var err error
	if g.w, g.h, err = Size(g.aspect, g.size); err != nil {
		writeError(c.w, http.StatusBadRequest, err.Error())
		return 0, false
	}
	c.gen = g
	return s.cfg.Weights[g.size], true
}

// part is one part of a candidate's content.
type part struct {
	Text       string      `json:"text,omitempty"`
	Thought    bool        `json:"thought,omitempty"`
	InlineData *inlineData `json:"inlineData,omitempty"`
}

// inlineData is an image inside a part.
type inlineData struct {
	MIMEType string `json:"mimeType"`
	Data     string `json:"data"`
}

// modalityCount is one entry of a *TokensDetails list.
type modalityCount struct {
	Modality   string `json:"modality"`
	TokenCount int    `json:"tokenCount"`
}

// usage is usageMetadata as the real API sends it.
type usage struct {
	PromptTokenCount        int             `json:"promptTokenCount,omitempty"`
	CandidatesTokenCount    int             `json:"candidatesTokenCount,omitempty"`
	TotalTokenCount         int             `json:"totalTokenCount,omitempty"`
	PromptTokensDetails     []modalityCount `json:"promptTokensDetails,omitempty"`
	CandidatesTokensDetails []modalityCount `json:"candidatesTokensDetails,omitempty"`
	ThoughtsTokenCount      int             `json:"thoughtsTokenCount,omitempty"`
	TrafficType             string          `json:"trafficType,omitempty"`
}

// genAnswer accumulates one generateContent answer.
type genAnswer struct {
	parts        []part
	finish       string
	finishMsg    string
	blockReason  string
	noCandidates bool
	imageTokens  int
	textTokens   int
	thoughts     int
	usageMode    string // "", "hollow", "none"
}

// answerGen answers generateContent as fault f (nil: normally) says.
func (s *Server) answerGen(c *call, f Fault) {
	g := c.gen
	a := &genAnswer{finish: "STOP", thoughts: s.cfg.ThoughtTokens}
	img := picture(g.prompt, g.w, g.h, false)
	imgPart := func(data []byte, mime string, thought bool) part {
		return part{Thought: thought, InlineData: &inlineData{
			MIMEType: mime, Data: base64.StdEncoding.EncodeToString(data)}}
	}
	imageTokens := s.cfg.ImageTokens[g.size]
	const sure = "Here is the image you asked for."

	// Shape the answer as the fault says.
	switch f := f.(type) {
	case FaultOutputBlocked:
		a.finish, a.finishMsg = orDefault(f.FinishReason, "IMAGE_SAFETY"), f.Message
	case FaultPromptBlocked:
		a.noCandidates, a.blockReason = true, orDefault(f.BlockReason, "SAFETY")
	case FaultNoImage:
		a.finish = "NO_IMAGE"
	case FaultTextOnly:
		a.parts, a.textTokens = []part{{Text: orDefault(f.Text, sure)}}, 12
	case FaultDrafts:
		for range f.N {
			// Drafts come at half size, so a test can tell them apart.
			draft := picture(g.prompt, g.w/2, g.h/2, false)
			a.parts = append(a.parts, imgPart(draft, "image/png", true))
			a.thoughts += 258
		}
		a.parts = append(a.parts, imgPart(img, "image/png", false))
		a.imageTokens = imageTokens
	case FaultOnlyThought:
		a.parts, a.imageTokens = []part{imgPart(img, "image/png", true)}, imageTokens
	case FaultWrongMIME:
		jpg := picture(g.prompt, g.w, g.h, true)
		a.parts, a.imageTokens = []part{imgPart(jpg, "image/png", false)}, imageTokens
	case FaultBadBase64:
		a.parts = []part{{InlineData: &inlineData{
			MIMEType: "image/png", Data: "%%not*base64%%"}}}
		a.imageTokens = imageTokens
	default:
		a.parts = []part{{Text: sure}, imgPart(img, "image/png", false)}
		a.imageTokens, a.textTokens = imageTokens, 8
		switch f.(type) {
		case FaultHollowUsage:
			a.usageMode = "hollow"
		case FaultNoUsage:
			a.usageMode = "none"
		}
	}
	writeJSON(c.w, http.StatusOK, a.body(c.model, promptTokens(g.prompt)))
}

// body renders the answer as the real API's JSON.
func (a *genAnswer) body(model string, prompt int) map[string]any {
	out := map[string]any{"modelVersion": model, "responseId": "fake-response"}
	if a.noCandidates {
		out["promptFeedback"] = map[string]any{"blockReason": a.blockReason}
	} else {
		cand := map[string]any{"finishReason": a.finish, "index": 0}
		if a.parts != nil {
			cand["content"] = map[string]any{"role": "model", "parts": a.parts}
		}
		if a.finishMsg != "" {
			cand["finishMessage"] = a.finishMsg
		}
		out["candidates"] = []any{cand}
	}
	switch a.usageMode {
	case "hollow":
		out["usageMetadata"] = usage{TrafficType: "ON_DEMAND"}
	case "none":
	default:
		out["usageMetadata"] = a.usage(prompt)
	}
	return out
}

// usage counts the answer's tokens the way the real API reports them.
func (a *genAnswer) usage(prompt int) usage {
	u := usage{
		PromptTokenCount:     prompt,
		CandidatesTokenCount: a.imageTokens + a.textTokens,
		ThoughtsTokenCount:   a.thoughts,
		PromptTokensDetails:  []modalityCount{{"TEXT", prompt}},
	}
	u.TotalTokenCount = prompt + u.CandidatesTokenCount + a.thoughts
	if a.imageTokens > 0 {
		u.CandidatesTokensDetails = append(u.CandidatesTokensDetails,
			modalityCount{"IMAGE", a.imageTokens})
	}
	if a.textTokens > 0 {
		u.CandidatesTokensDetails = append(u.CandidatesTokensDetails,
			modalityCount{"TEXT", a.textTokens})
	}
	return u
}

// PromptTokens is the prompt token count the fake reports for a prompt:
// one per word plus one, so tests can compute the expected usage.
func PromptTokens(prompt string) int { return promptTokens(prompt) }

func promptTokens(prompt string) int { return len(strings.Fields(prompt)) + 1 }

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
