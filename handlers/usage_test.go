package handlers_test

import (
	"encoding/csv"
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ledgerRow is a row the usage tests write straight into the ledger.
type ledgerRow struct {
	image          int64 // the row belongs to this image's job
	kind           string
	tokens, micros int64
	daysAgo        int
}

// addLedger writes rows, each on its own call of its job, days before
// seedNow (which the tests make the database's clock).
func (g *gallery) addLedger(t *testing.T, rows []ledgerRow) {
	t.Helper()
	for i, r := range rows {
		at := seedNow.AddDate(0, 0, -r.daysAgo).UnixMilli()
		g.exec(t, `INSERT INTO ledger(kind, member_id, session_id, job_id, call, model,
			reserved_tokens, reserved_micros, spent_tokens, spent_micros, period_at,
			created_at) SELECT ?, j.member_id, j.session_id, j.id, ?, j.model, 0, 0, ?, ?,
			?, ? FROM jobs j JOIN images i ON i.job_id = j.id WHERE i.id = ?`,
			r.kind, 100+i, r.tokens, r.micros, at, at, r.image)
	}
}

// imageOf returns the first seeded image of a member.
func (g *gallery) imageOf(name string) int64 {
	for _, im := range g.images {
		if im.MemberID == g.ids[name] {
			return im.ID
		}
	}
	return 0
}

func usageGallery(t *testing.T) *gallery {
	g := newGallery(t, 60)
	g.app.DB.Now = func() time.Time { return seedNow }
	bo, ada := g.imageOf("bo"), g.imageOf("ada")
	g.addLedger(t, []ledgerRow{
		{bo, "settle", 300, 40_000, 0},
		{bo, "settle", 100, 10_000, 3},
		{bo, "settle", 50, 5_000, 3},
		{bo, "settle", 600, 90_000, 10},
		{bo, "reserve", 999, 99_000, 1}, // held, not spent: not in the charts
		{bo, "settle", 700, 70_000, 40}, // older than the charts
		{ada, "settle", 2000, 250_000, 3},
	})
	return g
}

func TestUsageChartMatchesDayTotals(t *testing.T) {
	g := usageGallery(t)
	day := func(ago int) string { return seedNow.AddDate(0, 0, -ago).Format("2006-01-02") }
	cases := []struct {
		who, member string
		tokens      map[string]int64
	}{
		{"bo", "", map[string]int64{day(0): 300, day(3): 150, day(10): 600}},
		{"ada", "team", map[string]int64{day(0): 300, day(3): 2150, day(10): 600}},
	}
	for _, c := range cases {
		doc := g.clients[c.who].Get("/usage?member=" + c.member).Doc(t)
		bars := doc.Find(`svg[data-testid=chart-tokens] rect.bar`)
		if bars.Length() != 30 {
			t.Fatalf("%s: %d bars, want 30", c.who, bars.Length())
		}
		var peakH float64
		var peakV int64
		for _, b := range bars.EachIter() {
			h, _ := strconv.ParseFloat(b.AttrOr("height", ""), 64)
			v, _ := strconv.ParseInt(b.AttrOr("data-value", ""), 10, 64)
			if v != c.tokens[b.AttrOr("data-day", "")] {
				t.Errorf("%s: bar %s = %d, want %d", c.who, b.AttrOr("data-day", ""), v,
					c.tokens[b.AttrOr("data-day", "")])
			}
			if v > peakV {
				peakV, peakH = v, h
			}
		}

		// Every bar's height is to the tallest's as its total is to the peak.
		for _, b := range bars.EachIter() {
			h, _ := strconv.ParseFloat(b.AttrOr("height", ""), 64)
			v := c.tokens[b.AttrOr("data-day", "")]
			if want := peakH * float64(v) / float64(peakV); math.Abs(h-want) > 0.01 {
				t.Errorf("%s: bar %s is %.3f high, want %.3f", c.who,
					b.AttrOr("data-day", ""), h, want)
			}
		}
	}
}

func TestUsageLedgerAndExport(t *testing.T) {
	g := usageGallery(t)

	// The member sees every one of their rows, reserve included.
	doc := g.clients["bo"].Get("/usage").Doc(t)
	if n := doc.Find(`[data-testid=ledger] tbody tr`).Length(); n != 6 {
		t.Fatalf("bo's ledger shows %d rows, want 6", n)
	}
	if n := doc.Find(`[data-testid=ledger] tr[data-kind=reserve]`).Length(); n != 1 {
		t.Fatalf("bo's ledger shows %d reserve rows, want 1", n)
	}
	if got := doc.Find(`[data-testid=usage-tokens-left]`).Text(); got != "no limit" {
		t.Fatalf("tokens left %q", got)
	}

	// An admin exports the team for a range; "to" includes its day.
	from := seedNow.AddDate(0, 0, -10).Format("2006-01-02")
	to := seedNow.AddDate(0, 0, -3).Format("2006-01-02")
	res := g.clients["ada"].Get("/usage/export.csv?member=team&from=" + from + "&to=" + to)
	recs := readCSV(t, res.Body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		len(recs) != 5 {
		t.Fatalf("team export: status %d, %d lines, want header and 4 rows:\n%s",
			res.StatusCode, len(recs), res.Body)
	}

	// A member exports their own rows only.
	recs = readCSV(t, g.clients["bo"].Get("/usage/export.csv").Body)
	if len(recs) != 7 {
		t.Fatalf("bo's export has %d lines, want header and 6 rows", len(recs))
	}
	for _, r := range recs[1:] {
		if r[5] != "bo" {
			t.Fatalf("bo's export holds a row of %q", r[5])
		}
	}
	if res := g.clients["bo"].Get("/usage/export.csv?from=yesterday"); res.StatusCode != 400 {
		t.Fatalf("bad date: status %d, want 400", res.StatusCode)
	}
}

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, body)
	}
	return recs
}

func TestNonAdminRefused(t *testing.T) {
	g := usageGallery(t)
	bo, ada := g.clients["bo"], itoa(g.ids["ada"])
	for _, path := range []string{"/admin", "/usage?member=team", "/usage?member=" + ada,
		"/usage/export.csv?member=all", "/usage/export.csv?member=team",
		"/usage/export.csv?member=" + ada} {
		if res := bo.Get(path); res.StatusCode != 403 {
			t.Errorf("GET %s as a member: status %d, want 403", path, res.StatusCode)
		}
	}
	for _, path := range []string{"/admin/limits", "/admin/members",
		"/admin/members/" + ada} {
		res := bo.PostForm(path, url.Values{"name": {"eve"}, "password": {password},
			"admin": {"1"}, "group": {"offline"}, "rpm": {"1"}, "tpm": {"1"}, "rpd": {"0"}})
		if res.StatusCode != 403 {
			t.Errorf("POST %s as a member: status %d, want 403", path, res.StatusCode)
		}
	}
	if m, _ := g.app.DB.MemberByName(t.Context(), "eve"); m.ID != 0 {
		t.Fatal("a member added a member")
	}
	if m, _ := g.app.DB.MemberByID(t.Context(), g.ids["bo"]); m.Admin {
		t.Fatal("a member made themselves admin")
	}
}
