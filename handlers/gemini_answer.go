package handlers

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"

	"atelier/db"
)

// inlineData is an image inside a generateContent part.
type inlineData struct {
	MIMEType string `json:"mimeType"`
	Data     string `json:"data"`
}

// modalityCount is one entry of a *TokensDetails list.
type modalityCount struct {
	Modality   string `json:"modality"`
	TokenCount int64  `json:"tokenCount"`
}

// usageMetadata is generateContent's usage, as the real API reports it.
type usageMetadata struct {
	PromptTokenCount        int64           `json:"promptTokenCount,omitempty"`
	CandidatesTokenCount    int64           `json:"candidatesTokenCount,omitempty"`
	ThoughtsTokenCount      int64           `json:"thoughtsTokenCount,omitempty"`
	TotalTokenCount         int64           `json:"totalTokenCount,omitempty"`
	PromptTokensDetails     []modalityCount `json:"promptTokensDetails,omitempty"`
	CandidatesTokensDetails []modalityCount `json:"candidatesTokensDetails,omitempty"`
}

// answerJob answers a job that has ended: its images in the method's
// wire format, or Google's error shape for why there are none.
func (s *Server) answerJob(w http.ResponseWriter, r *http.Request, method string,
	j db.Job) {
	switch {
	case j.Status == db.StatusCanceled:
		googleFail(w, 499, "The job was cancelled.")
		return
	case len(j.Images) == 0:
		reason := j.Reason
		if reason == "" {
			reason = "no image came back"
		}
		googleFail(w, s.failedJobStatus(r.Context(), j.ID, reason), "Atelier: "+reason)
		return
	}

	ctx := context.WithoutCancel(r.Context())
	var out any
	var err error
	if method == "predict" {
		out, err = s.predictAnswer(ctx, j)
	} else {
		out, err = s.generateAnswer(ctx, j)
	}
	if err != nil {
		s.log.Error("answer gemini-protocol job", "job", j.ID, "err", err)
		googleFail(w, http.StatusInternalServerError, "Internal error; it has been logged.")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// generateAnswer is a generateContent answer: one candidate holding the
// job's images, and the usage the provider reported.
func (s *Server) generateAnswer(ctx context.Context, j db.Job) (map[string]any, error) {
	var parts []map[string]any
	for _, ref := range j.Images {
		data, mime, _, err := s.db.ImageData(ctx, ref.ID, false)
		if err != nil {
			return nil, err
		}
		parts = append(parts, map[string]any{"inlineData": inlineData{MIMEType: mime,
			Data: base64.StdEncoding.EncodeToString(data)}})
	}
	out := map[string]any{
		"candidates": []map[string]any{{
			"content":      map[string]any{"role": "model", "parts": parts},
			"finishReason": "STOP", "index": 0,
		}},
		"modelVersion": j.Model,
		"responseId":   fmt.Sprintf("atelier-job-%d", j.ID),
	}

	u, err := s.db.JobUsage(ctx, j.ID)
	if err != nil {
		return nil, err
	}
	if um := usageOf(u); um.TotalTokenCount > 0 {
		out["usageMetadata"] = um
	}
	return out, nil
}

// usageOf turns the ledger's raw counts into usageMetadata.
func usageOf(u db.JobUsage) usageMetadata {
	m := usageMetadata{PromptTokenCount: u.PromptTokens,
		CandidatesTokenCount: u.ImageTokens + u.TextTokens,
		ThoughtsTokenCount:   u.ThoughtTokens}
	m.TotalTokenCount = m.PromptTokenCount + m.CandidatesTokenCount + m.ThoughtsTokenCount
	if u.PromptTokens > 0 {
		m.PromptTokensDetails = []modalityCount{{"TEXT", u.PromptTokens}}
	}
	if u.ImageTokens > 0 {
		m.CandidatesTokensDetails = append(m.CandidatesTokensDetails,
			modalityCount{"IMAGE", u.ImageTokens})
	}
	if u.TextTokens > 0 {
		m.CandidatesTokensDetails = append(m.CandidatesTokensDetails,
			modalityCount{"TEXT", u.TextTokens})
	}
	return m
}

// predictAnswer is a :predict answer: one prediction per image, then one
// raiFilteredReason entry per image withheld.
func (s *Server) predictAnswer(ctx context.Context, j db.Job) (map[string]any, error) {
	preds := []map[string]any{}
	for _, ref := range j.Images {
		im, err := s.db.Image(ctx, ref.ID)
		if err != nil {
			return nil, err
		}
		data, mime, _, err := s.db.ImageData(ctx, ref.ID, false)
		if err != nil {
			return nil, err
		}
		p := map[string]any{"bytesBase64Encoded": base64.StdEncoding.EncodeToString(data),
			"mimeType": mime}
		if im.RewrittenPrompt != "" {
			p["prompt"] = im.RewrittenPrompt
		}
		preds = append(preds, p)
	}
	for range j.Count - len(j.Images) {
		preds = append(preds, map[string]any{"raiFilteredReason": orDefault(j.Reason,
			"withheld by the provider")})
	}
	return map[string]any{"predictions": preds}, nil
}
