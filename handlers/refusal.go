package handlers

import (
	"errors"
	"fmt"
	"time"

	"atelier/db"
	"atelier/imagegen"
	"atelier/jobs"
)

// refusal is why the runner would not take a job, in the terms every
// front door needs: the studio form, the JSON API and the Gemini protocol
// each answer it their own way, from this one reading of the error.
type refusal struct {
	kind    string // budget_exhausted, queue_full, too_large, paused, invalid
	message string // for the member, without a trailing period
	field   string // the form field it concerns; "" for the whole form
	budget  string // which budget, for budget_exhausted
	until   time.Time
}

// refusalOf reads a Submit error. It reports false for errors that are
// not the member's to fix (the caller answers those as server errors).
func refusalOf(err error) (refusal, bool) {
	var budget *db.BudgetError
	var full *db.QueueFullError
	var large *jobs.TooLargeError
	var paused *jobs.PausedError
	var bad *imagegen.Error
	switch {
	case errors.As(err, &budget):
		whose := "Your "
		if budget.Budget == "team monthly USD" {
			whose = "The team's "
		}
		return refusal{kind: "budget_exhausted", message: whose + budget.Error(),
			budget: budget.Budget, until: budget.ResetAt}, true
	case errors.As(err, &full):
		return refusal{kind: "queue_full", message: fmt.Sprintf("You already have %d jobs "+
			"queued, the most allowed. Wait for one to finish or cancel one", full.Max),
			budget: "queued jobs"}, true
	case errors.As(err, &large):
		return refusal{kind: "too_large", message: large.Error(), field: "count"}, true
	case errors.As(err, &paused):
		return refusal{kind: "paused", message: paused.Error(), until: paused.Until}, true
	case errors.As(err, &bad) && bad.Class == imagegen.ClassBadRequest:
		return refusal{kind: "invalid", message: bad.Reason}, true
	}
	return refusal{}, false
}
