package fakeupstream

import "time"

// Fault is one scripted answer. Script queues faults per model; each
// request to that model takes the next one. The types below cover every
// misbehaviour of the real API that Atelier must survive.
type Fault interface {
	// counted reports whether the real API would count the call against
	// the quota (it answered 200), so the fake's window must admit it.
	counted() bool
}

// FaultOK answers normally; it lets a script put a success between faults.
type FaultOK struct{}

// FaultRateLimit is a per-minute 429 with QuotaFailure and RetryInfo.
type FaultRateLimit struct{ Delay time.Duration }

// FaultBare429 is a 429 with no details. RetryAfter, when set, is sent
// verbatim as the Retry-After header (seconds or an HTTP date).
type FaultBare429 struct{ RetryAfter string }

// FaultVertex429 is Vertex's 429: the quota is named in the message only.
type FaultVertex429 struct{}

// FaultArray429 is a per-minute 429 whose body is a JSON array around the
// error object.
type FaultArray429 struct{ Delay time.Duration }

// FaultBilling is the 429 sent when prepayment credits are depleted.
type FaultBilling struct{}

// FaultDaily is a 429 whose QuotaFailure names a per-day quota.
type FaultDaily struct{ Delay time.Duration }

// FaultBlockedPrompt is a 400 INVALID_ARGUMENT refusing the prompt.
type FaultBlockedPrompt struct{}

// FaultStatus answers an error status: 500 INTERNAL, 503 UNAVAILABLE, 400.
type FaultStatus struct{ Code int }

// FaultSlow waits Delay (or until the client gives up), then answers Then
// (a normal answer when nil).
type FaultSlow struct {
	Delay time.Duration
	Then  Fault
}

// FaultDrop hijacks the connection and closes it without an answer.
type FaultDrop struct{}

// FaultMalformed answers 200 with JSON cut off in the middle.
type FaultMalformed struct{}

// FaultBadBase64 answers 200 with image data that is not base64.
type FaultBadBase64 struct{}

// FaultFilterAll answers an Imagen call with every image filtered.
type FaultFilterAll struct{ Reason string }

// FaultFilterSome answers an Imagen call with N of its images filtered.
type FaultFilterSome struct {
	N      int
	Reason string
}

// FaultEmptyPredictions answers an Imagen call with "predictions": [].
type FaultEmptyPredictions struct{}

// FaultOutputBlocked answers generateContent with a candidate that has no
// parts and FinishReason (IMAGE_SAFETY when empty); usage is still reported.
type FaultOutputBlocked struct {
	FinishReason string
	Message      string
}

// FaultPromptBlocked answers generateContent with no candidates and
// promptFeedback.blockReason (SAFETY when empty).
type FaultPromptBlocked struct{ BlockReason string }

// FaultNoImage answers generateContent with finishReason NO_IMAGE.
type FaultNoImage struct{}

// FaultTextOnly answers generateContent with STOP and text parts only.
type FaultTextOnly struct{ Text string }

// FaultDrafts sends N interim images marked thought before the final one.
type FaultDrafts struct{ N int }

// FaultOnlyThought sends a single image, marked thought.
type FaultOnlyThought struct{}

// FaultWrongMIME sends JPEG bytes labelled image/png.
type FaultWrongMIME struct{}

// FaultHollowUsage sends usageMetadata holding only trafficType.
type FaultHollowUsage struct{}

// FaultNoUsage sends no usageMetadata at all.
type FaultNoUsage struct{}

func (FaultOK) counted() bool               { return true }
func (FaultRateLimit) counted() bool        { return false }
func (FaultBare429) counted() bool          { return false }
func (FaultVertex429) counted() bool        { return false }
func (FaultArray429) counted() bool         { return false }
func (FaultBilling) counted() bool          { return false }
func (FaultDaily) counted() bool            { return false }
func (FaultBlockedPrompt) counted() bool    { return false }
func (FaultStatus) counted() bool           { return false }
func (f FaultSlow) counted() bool           { return f.Then == nil || f.Then.counted() }
func (FaultDrop) counted() bool             { return false }
func (FaultMalformed) counted() bool        { return true }
func (FaultBadBase64) counted() bool        { return true }
func (FaultFilterAll) counted() bool        { return true }
func (FaultFilterSome) counted() bool       { return true }
func (FaultEmptyPredictions) counted() bool { return true }
func (FaultOutputBlocked) counted() bool    { return true }
func (FaultPromptBlocked) counted() bool    { return true }
func (FaultNoImage) counted() bool          { return true }
func (FaultTextOnly) counted() bool         { return true }
func (FaultDrafts) counted() bool           { return true }
func (FaultOnlyThought) counted() bool      { return true }
func (FaultWrongMIME) counted() bool        { return true }
func (FaultHollowUsage) counted() bool      { return true }
func (FaultNoUsage) counted() bool          { return true }

// Chance injects Fault into a share P (0..1) of the calls that have no
// scripted fault, for benchmarks and demos of a flaky upstream.
type Chance struct {
	P     float64
	Fault Fault
}
