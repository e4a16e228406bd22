package handlers

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"atelier/db"
)

// The Gemini-protocol endpoint speaks Google's own wire format, so the
// official SDKs work unchanged with their base URL set to Atelier and a
// member's API key as their key. A request is submitted like a studio
// form (same validation, queue, limiter, budgets and ledger), and the
// connection is held while the job waits its turn.

// recheckEvery bounds how long a held request sleeps between looks at
// its job, should a change notification ever be missed.
const recheckEvery = 5 * time.Second

// geminiRoutes are the paths Google's clients call. ServeMux wildcards
// span whole segments, so "{model}:{method}" is one {call}, split later.
var geminiRoutes = []string{
	"POST /v1/models/{call}",
	"POST /v1beta/models/{call}",
	"POST /v1/projects/{p}/locations/{l}/publishers/google/models/{call}",
	"POST /v1beta1/projects/{p}/locations/{l}/publishers/google/models/{call}",
}

// postGeminiCall answers generateContent and predict.
func (s *Server) postGeminiCall(w http.ResponseWriter, r *http.Request) {
	model, method, _ := strings.Cut(r.PathValue("call"), ":")
	model = strings.TrimPrefix(model, "models/")
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		googleFail(w, http.StatusRequestEntityTooLarge,
			"Request payload size exceeds the limit.")
		return
	}
	if err != nil {
		googleFail(w, http.StatusBadRequest, "The request body could not be read.")
		return
	}

	// Decode as the method says, then validate as the studio form does.
	var f promptForm
	switch method {
	case "generateContent":
		f, err = genContentForm(model, body)
	case "predict":
		f, err = predictForm(model, body)
	default:
		googleFail(w, http.StatusNotFound, "Method "+method+" is not offered; Atelier "+
			"serves generateContent and predict.")
		return
	}
	if err != nil {
		googleFail(w, http.StatusBadRequest, err.Error())
		return
	}
	if _, ok := s.runner.Model(model); !ok {
		googleFail(w, http.StatusNotFound, "models/"+model+" is not found or not "+
			"offered by this Atelier.")
		return
	}
	req, ok := f.validate(s.runner.Model)
	if !ok {
		googleFail(w, http.StatusBadRequest, joinErrors(f.Errors), badRequestDetail(f.Errors))
		return
	}

	// Submit through the one path every front door shares.
	m := memberOf(r)
	req.MemberID, req.SessionID = m.ID, sessionOf(r).ID
	job, err := s.runner.Submit(r.Context(), req)
	if err != nil {
		s.googleRefusal(w, r, err, func() time.Time { return s.queueFree(r.Context(), m.ID) })
		return
	}

	job, ok = s.holdForJob(w, r, job)
	if !ok {
		return
	}
	s.answerJob(w, r, method, job)
}

// holdForJob waits until the job ends. If the client goes away while the
// job is still queued, the job is cancelled and its reservation refunded;
// one already running finishes and lands in the gallery.
func (s *Server) holdForJob(w http.ResponseWriter, r *http.Request,
	job db.Job) (db.Job, bool) {
	ctx := r.Context()
	for {
		changed := s.runner.Changed()
		j, err := s.db.Job(context.WithoutCancel(ctx), job.ID)
		if err != nil {
			s.log.Error("read held job", "job", job.ID, "err", err)
			googleFail(w, http.StatusInternalServerError, "Internal error; it has been logged.")
			return j, false
		}
		if !j.Active() {
			return j, true
		}

		select {
		case <-changed:
		case <-time.After(recheckEvery):
		case <-ctx.Done():
			s.clientGone(j)
			return j, false
		}
	}
}

// clientGone cancels a held job whose client disconnected, if it has not
// started yet.
func (s *Server) clientGone(j db.Job) {
	err := s.runner.Cancel(context.Background(), j.ID, j.MemberID)
	switch {
	case err == nil:
		s.log.Info("client went away; queued job cancelled", "job", j.ID,
			"member", j.MemberID)
	case errors.Is(err, db.ErrNotQueued):
		s.log.Info("client went away; job already running, it will finish",
			"job", j.ID, "member", j.MemberID)
	default:
		s.log.Error("cancel abandoned job", "job", j.ID, "err", err)
	}
}

// queueFree estimates when the member's queue next has room: when their
// first queued job should start, by the limiter's ETA.
func (s *Server) queueFree(ctx context.Context, memberID int64) time.Time {
	eta := time.Minute
	list, err := s.db.RecentJobs(ctx, memberID, s.runner.MaxQueued()+8)
	if err == nil {
		for _, j := range list {
			if j.Status == db.StatusQueued {
				eta = min(eta, s.runner.Progress(j).ETA)
			}
		}
	}
	return time.Now().Add(max(eta, time.Second))
}
