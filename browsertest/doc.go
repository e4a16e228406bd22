// Package browsertest drives the real Atelier binary in headless Chromium:
// it walks the flows a person would (first run, sign-in, generating,
// the queue, the gallery, remix and delete, usage, admin budgets), checks
// every page's accessibility in light and dark themes, and saves a
// screenshot of each main page. It holds only tests; `go test ./...` runs
// them with the rest.
package browsertest
