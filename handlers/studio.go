package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"atelier/db"
	"atelier/views"
)

// recentJobs is how many jobs the studio lists.
const recentJobs = 20

func (s *Server) getStudio(w http.ResponseWriter, r *http.Request) {
	s.renderStudio(w, r, http.StatusOK, s.formDefaults(r))
}

func (s *Server) renderStudio(
	w http.ResponseWriter,
	r *http.Request,
	status int,
	f views.PromptForm,
) {
	m := memberOf(r)
	list, err := s.db.RecentJobs(r.Context(), m.ID, recentJobs)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	cards := make([]views.JobView, len(list))
	for i, j := range list {
		cards[i] = s.jobView(j)
	}
	s.render(w, r, status, views.Studio(s.chrome(r, "Studio", "studio"), f,
		s.modelOptions(), cards))
}

// postJob validates the prompt form and submits the job. htmx gets the new
// job's card (or the form again with its errors, status 422); a plain post
// is redirected to the job's page.
func (s *Server) postJob(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	f := parsePromptForm(r.PostFormValue)
	req, ok := f.validate(s.runner.Model)
	if ok {
		req.MemberID, req.SessionID = memberOf(r).ID, sessionOf(r).ID
		var job db.Job
		job, err := s.runner.Submit(r.Context(), req)
		if err == nil {
			s.jobAccepted(w, r, job)
			return
		}
		if !formRefusal(err, f.Errors) {
			s.serverError(w, r, err)
			return
		}
	}
	s.formRejected(w, r, views.PromptForm(f))
}

// formRefusal puts a submission's refusal into the form's errors,
// reporting false for errors that are not the member's to fix.
func formRefusal(err error, errs views.Errors) bool {
	ref, ok := refusalOf(err)
	if ok {
		errs[ref.field] = ref.message + "."
	}
	return ok
}

func (s *Server) jobAccepted(w http.ResponseWriter, r *http.Request, job db.Job) {
	if !isHTMX(r) {
		http.Redirect(w, r, fmt.Sprintf("/jobs/%d", job.ID), http.StatusSeeOther)
		return
	}
	q := s.quotaView(r, job.MemberID)
	s.render(w, r, http.StatusOK, views.JobCardUpdate(s.jobView(job), q))
}

// formRejected answers an invalid or refused form with 422: htmx gets the
// form alone, swapped in place; a plain post gets the whole studio.
func (s *Server) formRejected(w http.ResponseWriter, r *http.Request, f views.PromptForm) {
	// The prompt goes back into the form as typed, but characters a page
	// must not carry (invalid UTF-8, control characters) show as "�",
	// marking where the message says to look.
	f.Prompt = strings.Map(func(r rune) rune {
		if isPromptControl(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(f.Prompt, string(utf8.RuneError)))
	if isHTMX(r) {
		w.Header().Set("HX-Retarget", "#prompt-form")
		w.Header().Set("HX-Reswap", "outerHTML")
		s.render(
			w,
			r,
			http.StatusUnprocessableEntity,
			views.PromptFormView(f, s.modelOptions()),
		)
		return
	}
	s.renderStudio(w, r, http.StatusUnprocessableEntity, f)
}

// memberJob loads the job named in the path, if it is the member's own.
func (s *Server) memberJob(w http.ResponseWriter, r *http.Request) (db.Job, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, http.StatusNotFound, "There is no such job.")
		return db.Job{}, false
	}
	j, err := s.db.Job(r.Context(), id)
	if errors.Is(err, db.ErrNotFound) || (err == nil && j.MemberID != memberOf(r).ID) {
		s.fail(w, r, http.StatusNotFound, "There is no such job.")
		return db.Job{}, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return db.Job{}, false
	}
	return j, true
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	j, ok := s.memberJob(w, r)
	if !ok {
		return
	}
	if j.Active() {
		// Without script the page reloads itself until the job ends.
		w.Header().Set("Refresh", "2")
	}
	s.render(w, r, http.StatusOK, views.JobPage(s.chrome(r, "Job", "studio"), s.jobView(j)))
}

// getJobCard is what a job card polls; it also refreshes the header quota.
func (s *Server) getJobCard(w http.ResponseWriter, r *http.Request) {
	j, ok := s.memberJob(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, views.JobCardUpdate(s.jobView(j), s.quotaView(r, j.MemberID)))
}

func (s *Server) postCancelJob(w http.ResponseWriter, r *http.Request) {
	j, ok := s.memberJob(w, r)
	if !ok {
		return
	}
	err := s.runner.Cancel(r.Context(), j.ID, j.MemberID)
	if errors.Is(err, db.ErrNotQueued) {
		s.fail(
			w,
			r,
			http.StatusConflict,
			"This job is no longer queued (it has started or ended), so it cannot be cancelled.",
		)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !isHTMX(r) {
		http.Redirect(w, r, fmt.Sprintf("/jobs/%d", j.ID), http.StatusSeeOther)
		return
	}
	j, err = s.db.Job(r.Context(), j.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.JobCardUpdate(s.jobView(j), s.quotaView(r, j.MemberID)))
}

func (s *Server) getQuota(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, views.QuotaBadge(s.quotaView(r, memberOf(r).ID), false))
}

// jobView adds live progress to a job.
func (s *Server) jobView(j db.Job) views.JobView {
	v := views.JobView{Job: j, Position: -1, CanCancel: j.Status == db.StatusQueued}
	if !j.Active() {
		return v
	}
	p := s.runner.Progress(j)
	v.Position, v.Note, v.Done, v.Starting = p.Position, p.Note, p.Done, p.Starting
	v.ETA = views.Human(p.ETA)
	return v
}
