package handlers

import (
	"errors"
	"net/http"

	"atelier/db"
)

// cancelGeneration cancels one of the member's own jobs while it is still
// queued, returning its reservation to their budget, and answers the job
// as it now stands. A job that has started or ended is a 409: its calls
// may already be paid for upstream. POST …/cancel and DELETE both land
// here, for clients that can send only one of them.
func (s *Server) cancelGeneration(w http.ResponseWriter, r *http.Request) {
	j, ok := s.apiOwnJob(w, r)
	if !ok {
		return
	}
	err := s.runner.Cancel(r.Context(), j.ID, j.MemberID)
	switch {
	case errors.Is(err, db.ErrNotQueued):
		apiFail(w, http.StatusConflict, apiError{Code: "not_queued",
			Message: "This generation has already started or ended, so it cannot be " +
				"cancelled."})
		return
	case errors.Is(err, db.ErrNotFound):
		apiNotFound(w, "generation")
		return
	case err != nil:
		s.apiServerError(w, r, err)
		return
	}

	// Read it back, so the answer shows the cancellation and its reason.
	if j, err = s.db.Job(r.Context(), j.ID); err != nil {
		s.apiServerError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.generationJSON(j))
}
