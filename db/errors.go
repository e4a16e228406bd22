package db

import (
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned when a row asked for by id or name does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a row would break a uniqueness rule, such as
// a second member with the same name.
var ErrConflict = errors.New("already exists")

// ErrNotQueued is returned when a job can no longer be cancelled because it
// has already started or ended.
var ErrNotQueued = errors.New("job is no longer queued")

// BudgetError says which budget a job would overrun, what is left of it and
// when it resets.
type BudgetError struct {
	Budget    string // "daily tokens", "monthly USD", "team monthly USD"
	Remaining int64  // tokens or micro-USD
	Needed    int64
	ResetAt   time.Time
	Money     bool
}

func (e *BudgetError) Error() string {
	if e.Money {
		return fmt.Sprintf("%s budget is exhausted: $%s left, this job needs $%s; resets %s",
			e.Budget, USD(e.Remaining), USD(e.Needed), e.ResetAt.Format("Jan 2 15:04 MST"))
	}
	return fmt.Sprintf("%s budget is exhausted: %d left, this job needs %d; resets %s",
		e.Budget, e.Remaining, e.Needed, e.ResetAt.Format("Jan 2 15:04 MST"))
}

// USD formats micro-USD as dollars with up to four decimals.
func USD(micros int64) string {
	neg := micros < 0
	if neg {
		micros = -micros
	}
	s := fmt.Sprintf("%d.%04d", micros/1_000_000, (micros%1_000_000)/100)
	if neg {
		s = "-" + s
	}
	return s
}
