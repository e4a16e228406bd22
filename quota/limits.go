package quota

import (
	"errors"
	"time"
	_ "time/tzdata" // Pacific midnight must work on hosts without tzdata
)

// Window is the length of the provider's sliding rate window.
const Window = 60 * time.Second

// Margin pads Window when counting our own grants; see the package doc.
const Margin = 500 * time.Millisecond

// Unlimited is what Available reports for a limit that is not set.
const Unlimited int64 = -1

// ErrTooLarge is returned when one request needs more tokens than the
// per-minute limit allows: it could never be sent, so it is refused at once.
var ErrTooLarge = errors.New("quota: the request needs more tokens than " +
	"the per-minute limit allows")

// ErrQueueFull is returned when a member already holds the maximum number
// of queued jobs.
var ErrQueueFull = errors.New("quota: too many queued jobs for this member")

// ErrDuplicateJob is returned when a job is pushed twice.
var ErrDuplicateJob = errors.New("quota: job is already queued")

// Limits are the provider's limits for one model group.
type Limits struct {
	RPM int64 // requests per window; below 1 means DefaultLimits.RPM
	TPM int64 // tokens per window; 0 or less means no token limit
	RPD int64 // requests per Pacific day; 0 or less means no daily limit
}

// DefaultLimits are used when configuration says nothing: 60 requests and
// 60 tokens (one 1K image each) a minute, no daily limit.
var DefaultLimits = Limits{RPM: 60, TPM: 60}

// normalized fills in the meaning of the zero values.
func (l Limits) normalized() Limits {
	if l.RPM < 1 {
		l.RPM = DefaultLimits.RPM
	}
	if l.TPM < 0 {
		l.TPM = 0
	}
	if l.RPD < 0 {
		l.RPD = 0
	}
	return l
}

// pacific is the zone in which the provider's daily quotas reset.
var pacific = loadPacific()

// loadPacific loads America/Los_Angeles. time/tzdata is embedded, so the
// fixed offset is only a last resort; it is wrong by an hour in summer.
func loadPacific() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return time.FixedZone("PST", -8*60*60)
	}
	return loc
}

// NextPacificMidnight returns the first Pacific midnight after t, when the
// provider's daily quotas reset.
func NextPacificMidnight(t time.Time) time.Time {
	p := t.In(pacific)
	y, m, d := p.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, pacific)
}
