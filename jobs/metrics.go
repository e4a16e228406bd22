package jobs

import "time"

// Metrics receives what the Runner measures. The server wires it to
// Prometheus; tests may leave it nil.
type Metrics interface {
	ObserveCall(model, group string, err error, d time.Duration)
	ObserveCharge(model string, tokens, micros int64)
	ObserveRetry(model, class string)
}
