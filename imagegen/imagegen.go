// Package imagegen talks to image-generation providers: Google's Gemini
// image models (generateContent), Imagen (:predict on the Gemini API and on
// Vertex) and a built-in offline renderer. It knows nothing of HTTP
// handlers, queues or SQLite: a caller hands it one Request and gets back
// what one upstream call produced, already classified.
package imagegen

import (
	"context"
	"time"
)

// Request is one upstream call.
type Request struct {
	Model       string // catalog id, e.g. "gemini-2.5-flash-image"
	Prompt      string
	AspectRatio string // "1:1", "3:4", "4:3", "9:16", "16:9"
	Size        string // "1K", "2K" (models that accept it)
	Seed        int64  // 0 means none
	Count       int    // images wanted from this call (1 for Gemini models)
}

// Image is one generated picture. MIME comes from the bytes, not from what
// the upstream claimed.
type Image struct {
	Data   []byte
	MIME   string
	Width  int
	Height int
}

// Usage is what the provider reported for one call. Reported is false when
// the answer carried no usable counts; callers must then charge their
// estimate, never zero.
type Usage struct {
	Reported      bool
	PromptTokens  int64
	ImageTokens   int64 // image share of the output
	TextTokens    int64 // text share of the output
	ThoughtTokens int64
}

// Result is what one successful (or partly successful) call produced.
type Result struct {
	Images          []Image
	Filtered        []string // one reason per image the provider withheld
	Usage           Usage
	RewrittenPrompt string
}

// Provider makes images. Generate returns either a Result (possibly with
// fewer images than asked, see Filtered) or an *Error that classifies the
// failure.
type Provider interface {
	Generate(ctx context.Context, req Request) (Result, error)
}

// Class sorts every upstream failure into one of a few kinds, each with one
// effect on the job, the ledger and the limiter.
type Class int

// The failure classes.
const (
	ClassTransient   Class = iota // retried with back-off
	ClassRateLimited              // per-minute 429: wait RetryAfter, slow down
	ClassDailyQuota               // per-day quota: group paused until reset
	ClassBillingStop              // credits depleted: provider paused for all
	ClassOverload                 // 503: retried, reported as overload
	ClassBlocked                  // prompt or output refused: not retried
	ClassNoImage                  // answered without an image: not retried
	ClassBadRequest               // our request was wrong: not retried
)

// Error is a classified provider failure.
type Error struct {
	Class      Class
	Reason     string        // plain words for the member
	Code       string        // provider's code, e.g. "IMAGE_SAFETY", "RESOURCE_EXHAUSTED"
	Status     int           // HTTP status, 0 when the call never got one
	RetryAfter time.Duration // upstream's requested delay, 0 when none
	Usage      Usage         // tokens the provider still billed (blocked output)
}

func (e *Error) Error() string { return e.Reason }
