// Package views renders Atelier's pages and fragments with templ. The
// structs here are what handlers hand to the templates: plain values, no
// database access.
package views

import (
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"time"

	"atelier/db"
)

// Chrome is what the layout of every page needs.
type Chrome struct {
	Title  string
	Nav    string // "studio", "gallery", "usage", "admin"
	Member *db.Member
	Quota  QuotaView
}

// QuotaView is the remaining quota shown in the header.
type QuotaView struct {
	TokensLeft   int64 // -1: no limit
	DailyTokens  int64
	MicrosLeft   int64 // -1: no limit
	TeamLeft     int64 // -1: no limit
	DayResetAt   time.Time
	MonthResetAt time.Time
	Group        string // the limit group the capacity figures are of
	Requests     int64  // limiter capacity this minute
	Tokens       int64
	Waiting      int // jobs waiting team-wide
}

// USD formats micro-USD as dollars: cents from a dollar up and for whole
// cents, and below a dollar otherwise the four decimals that per-token
// prices need ("$0.0391").
func USD(micros int64) string {
	if micros >= 1_000_000 || micros <= -1_000_000 || micros%10_000 == 0 {
		return fmt.Sprintf("$%.2f", float64(micros)/1e6)
	}
	return "$" + db.USD(micros)
}

// Left formats a remaining amount, where -1 means no limit.
func Left(v int64, money bool) string {
	switch {
	case v < 0:
		return "no limit"
	case money:
		return USD(v)
	}
	return strconv.FormatInt(v, 10)
}

// Ago formats t relative to now ("2 min ago"); the exact time goes in the
// title attribute and the script keeps it fresh.
func Ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < 10*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return t.Format("Jan 2, 2006")
}

// Exact formats t for a title attribute and datetime values.
func Exact(t time.Time) string { return t.Format(time.RFC3339) }

// Human formats a duration for an ETA.
func Human(d time.Duration) string {
	switch {
	case d <= 0:
		return "a moment"
	case d < time.Minute:
		return fmt.Sprintf("about %d s", int(d.Round(time.Second).Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("about %d min", int(d.Round(time.Minute).Minutes()))
	}
	return fmt.Sprintf("about %.1f h", d.Hours())
}

// ModelOption is one choice in the model select.
type ModelOption struct {
	ID, Name     string
	Offline      bool
	AspectRatios []string
	Sizes        []string
	MaxImages    int
}

// Label is the model's name as shown, marked when it is the offline
// renderer.
func (m ModelOption) Label() string {
	if m.Offline {
		return m.Name + " (offline)"
	}
	return m.Name
}

// plural writes a count with its noun, adding an s unless the count is 1.
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatInt(n, 10) + " " + noun + "s"
}

// itoa is strconv.Itoa for templates.
func itoa(n int) string { return strconv.Itoa(n) }

func i64(n int64) string { return strconv.FormatInt(n, 10) }

func nullI64(n sql.NullInt64) string {
	if !n.Valid {
		return ""
	}
	return i64(n.Int64)
}

func nullUSD(n sql.NullInt64) string {
	if !n.Valid {
		return ""
	}
	return strconv.FormatFloat(float64(n.Int64)/1e6, 'f', -1, 64)
}

// modelNames maps model ids to display names. The catalog is
// configuration read once at start, so the server records it here instead
// of passing it through every view.
var modelNames sync.Map

// SetModelName records a model's display name for the pages.
func SetModelName(id, name string) { modelNames.Store(id, name) }

// orNoLimit maps a configured budget of 0 (no limit) to Left's -1.
func orNoLimit(v int64) int64 {
	if v <= 0 {
		return -1
	}
	return v
}
