package db

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestBudgetPeriodsReset moves an injected clock across a day and a month
// boundary: the daily tokens come back at midnight, the monthly USD at the
// first of the month, and a reservation made before midnight is released
// in the period it was taken from.
func TestBudgetPeriodsReset(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	loc := time.FixedZone("team", 2*3600)
	now := time.Date(2026, 1, 31, 23, 59, 0, 0, loc)
	d.Now = func() time.Time { return now }
	b := Budgets{
		DailyTokens:       10,
		MonthlyMicros:     100_000,
		TeamMonthlyMicros: 150_000,
		Location:          loc,
	}

	m, _ := d.CreateMember(ctx, "ada", "x", false, false)
	s, _ := d.CreateSession(ctx, m.ID, "web", "tok", "test")
	job := func(tokens, micros int64) (Job, error) {
		return d.CreateJob(ctx, NewJob{MemberID: m.ID, SessionID: s.ID, Model: "m",
			Prompt: "p", AspectRatio: "1:1", Size: "1K", Count: 1, Calls: 1,
			EstTokens: tokens, EstMicros: micros}, b, 0)
	}

	j, err := job(8, 60_000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := job(4, 0); err == nil {
		t.Fatal("a second job over the daily budget was admitted")
	} else if be, ok := err.(*BudgetError); !ok || be.Budget != "daily tokens" ||
		be.Remaining != 2 || !be.ResetAt.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, loc)) {
		t.Fatalf("refusal %v", err)
	}

	// Two minutes later it is a new day and a new month. The job settles
	// now, cheaper than estimated; its rows count in January.
	now = now.Add(2 * time.Minute)
	if err := d.SettleCall(ctx, j, 0, 0, nil, Charge{Tokens: 5, Micros: 50_000}); err != nil {
		t.Fatal(err)
	}
	q, err := d.MemberQuota(ctx, m.ID, b)
	if err != nil {
		t.Fatal(err)
	}
	if q.DailyTokensUsed != 0 || q.MonthlyMicrosUsed != 0 || q.TeamMicrosUsed != 0 {
		t.Errorf("new period starts with %+v", q)
	}
	if q.TokensLeft() != 10 || q.MicrosLeft() != 100_000 {
		t.Errorf("left %d tokens, %d micros", q.TokensLeft(), q.MicrosLeft())
	}

	// Back in January the job counts at its real cost.
	now = time.Date(2026, 1, 31, 23, 59, 30, 0, loc)
	q, _ = d.MemberQuota(ctx, m.ID, b)
	if q.DailyTokensUsed != 5 || q.MonthlyMicrosUsed != 50_000 {
		t.Errorf("January totals %d tokens, %d micros; want 5 and 50000",
			q.DailyTokensUsed, q.MonthlyMicrosUsed)
	}

	// A monthly budget spans days: a day later in February it still
	// counts February's jobs.
	now = time.Date(2026, 2, 1, 10, 0, 0, 0, loc)
	if _, err := job(1, 90_000); err != nil {
		t.Fatal(err)
	}
	now = now.Add(24 * time.Hour)
	q, _ = d.MemberQuota(ctx, m.ID, b)
	if q.DailyTokensUsed != 0 || q.MonthlyMicrosUsed != 90_000 {
		t.Errorf(
			"next day: %d tokens, %d micros; want 0 and 90000",
			q.DailyTokensUsed,
			q.MonthlyMicrosUsed,
		)
	}
	if _, err := job(1, 20_000); err == nil {
		t.Error("a job over the monthly budget was admitted")
	}
}

// TestSettleTwiceChargesOnce replays a call's settlement, as a restart
// after a crash might: the second is refused and nothing is doubled.
func TestSettleTwiceChargesOnce(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	m, _ := d.CreateMember(ctx, "ada", "x", false, false)
	s, _ := d.CreateSession(ctx, m.ID, "web", "tok", "test")
	j, err := d.CreateJob(ctx, NewJob{MemberID: m.ID, SessionID: s.ID, Model: "m",
		Prompt: "p", AspectRatio: "1:1", Size: "1K", Count: 2, Calls: 2,
		EstTokens: 2, EstMicros: 1000}, Budgets{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	img := NewImage{
		MIME:   "image/png",
		Width:  1,
		Height: 1,
		SHA256: "ab",
		Data:   []byte{1},
		Thumb:  []byte{2},
	}
	charge := Charge{Tokens: 1, Micros: 400}
	if err := d.SettleCall(ctx, j, 0, 0, []NewImage{img}, charge); err != nil {
		t.Fatal(err)
	}
	if err := d.SettleCall(ctx, j, 0, 0, []NewImage{img}, charge); err != ErrSettled {
		t.Fatalf("second settle: %v, want ErrSettled", err)
	}
	if err := d.FinishJob(ctx, j.ID, StatusDone, ""); err != nil {
		t.Fatal(err)
	}

	got, _ := d.Job(ctx, j.ID)
	if got.SpentTokens != 1 || got.SpentMicros != 400 || len(got.Images) != 1 {
		t.Errorf(
			"job spent %d tokens, %d micros, %d images",
			got.SpentTokens,
			got.SpentMicros,
			len(got.Images),
		)
	}
	var held int64
	d.read.QueryRow(`SELECT sum(reserved_tokens) FROM ledger WHERE job_id = ?`, j.ID).
		Scan(&held)
	if held != 0 {
		t.Errorf("%d tokens still reserved after the job ended", held)
	}
}

// TestReopenKeepsData opens a database twice: the second open applies no
// migration again and sees the first one's rows.
func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateMember(ctx, "ada", "x", true, false); err != nil {
		t.Fatal(err)
	}
	d.Close()

	d, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer d.Close()
	if n, _ := d.CountMembers(ctx); n != 1 {
		t.Errorf("%d members after reopening, want 1", n)
	}
}
