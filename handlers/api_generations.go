package handlers

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"atelier/db"
	"atelier/imagegen"
)

// generationRequest is the body of POST /api/v1/generations: the studio
// form's fields, typed.
type generationRequest struct {
	Prompt      string `json:"prompt"`
	Model       string `json:"model"`
	AspectRatio string `json:"aspect_ratio"`
	Size        string `json:"size"`
	Count       *int   `json:"count"`
	Seed        *int64 `json:"seed"`
}

// form turns the request into the studio form as typed, filling the
// defaults a script may leave out (the studio's default model, one image,
// the model's first aspect ratio), so that the form's own validation
// judges it.
func (g generationRequest) form(models func(string) (imagegen.Model, bool),
	defaultModel string) promptForm {
	if g.Model == "" {
		g.Model = defaultModel
	}
	f := promptForm{Prompt: g.Prompt, Model: g.Model, AspectRatio: g.AspectRatio,
		Size: g.Size, Count: "1"}
	if g.Count != nil {
		f.Count = strconv.Itoa(*g.Count)
	}
	if g.Seed != nil {
		f.Seed = strconv.FormatInt(*g.Seed, 10)
	}
	if m, ok := models(g.Model); ok && f.AspectRatio == "" && len(m.AspectRatios) > 0 {
		f.AspectRatio = m.AspectRatios[0]
	}
	return f
}

// postGeneration validates a generation with the studio form's rules and
// submits it to the shared queue; it answers 202 with the job.
func (s *Server) postGeneration(w http.ResponseWriter, r *http.Request) {
	var g generationRequest
	if !decodeJSON(w, r, &g) {
		return
	}
	f := g.form(s.runner.Model, s.defaultModel())
	req, ok := f.validate(s.runner.Model)
	if !ok {
		apiFail(w, http.StatusUnprocessableEntity, apiError{Code: "invalid",
			Message: "Some fields are not valid; see fields.", Fields: f.Errors})
		return
	}

	req.MemberID, req.SessionID = memberOf(r).ID, sessionOf(r).ID
	job, err := s.runner.Submit(r.Context(), req)
	if err != nil {
		s.apiRefusal(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/generations/%d", job.ID))
	writeJSON(w, http.StatusAccepted, s.generationJSON(job))
}

// apiRefusal answers a submission the runner refused.
func (s *Server) apiRefusal(w http.ResponseWriter, r *http.Request, err error) {
	ref, ok := refusalOf(err)
	if !ok {
		s.apiServerError(w, r, err)
		return
	}
	e := apiError{Code: ref.kind, Message: ref.message + "."}
	status := http.StatusUnprocessableEntity
	switch ref.kind {
	case "budget_exhausted":
		status, e.Budget, e.ResetsAt = http.StatusTooManyRequests, ref.budget, &ref.until
		w.Header().Set("Retry-After", strconv.FormatInt(secondsUntil(ref.until), 10))
	case "queue_full":
		status = http.StatusTooManyRequests
	case "paused":
		status, e.ResetsAt = http.StatusServiceUnavailable, &ref.until
		w.Header().Set("Retry-After", strconv.FormatInt(secondsUntil(ref.until), 10))
	case "too_large":
		e.Code, e.Fields = "invalid", map[string]string{ref.field: ref.message}
	}
	apiFail(w, status, e)
}

// secondsUntil is the whole seconds from now until t, rounded up, at
// least 1: what Retry-After and RetryInfo carry.
func secondsUntil(t time.Time) int64 {
	return max(1, int64(math.Ceil(time.Until(t).Seconds())))
}

// getGeneration reports a job: its status, place in the queue, ETA,
// images and spending.
func (s *Server) getGeneration(w http.ResponseWriter, r *http.Request) {
	if j, ok := s.apiOwnJob(w, r); ok {
		writeJSON(w, http.StatusOK, s.generationJSON(j))
	}
}

// apiOwnJob loads the job named in the path, answering 404 itself when
// there is none or it is another member's: their ids are not revealed.
func (s *Server) apiOwnJob(w http.ResponseWriter, r *http.Request) (db.Job, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		apiNotFound(w, "generation")
		return db.Job{}, false
	}
	j, err := s.db.Job(r.Context(), id)
	if errors.Is(err, db.ErrNotFound) || (err == nil && j.MemberID != memberOf(r).ID) {
		apiNotFound(w, "generation")
		return db.Job{}, false
	}
	if err != nil {
		s.apiServerError(w, r, err)
		return db.Job{}, false
	}
	return j, true
}
