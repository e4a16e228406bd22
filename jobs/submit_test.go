package jobs_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"atelier/db"
	"atelier/imagegen"
	"atelier/jobs"
	"atelier/quota"
)

// newRunner opens a fresh database and a Runner that is not started, so
// submitted jobs stay queued.
func newRunner(t *testing.T, b db.Budgets, maxQueued int) (*jobs.Runner, *db.DB) {
	t.Helper()
	store, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	r := jobs.New(jobs.Config{DB: store, Catalog: imagegen.DefaultCatalog(),
		Providers: map[imagegen.Protocol]imagegen.Provider{
			imagegen.ProtocolOffline: imagegen.NewOffline()},
		Limits:  func(string) quota.Limits { return quota.Limits{RPM: 60, TPM: 60} },
		Budgets: b, MaxQueued: maxQueued})
	return r, store
}

func member(t *testing.T, store *db.DB, name string) (db.Member, db.Session) {
	t.Helper()
	m, err := store.CreateMember(context.Background(), name, "x", false, false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.CreateSession(context.Background(), m.ID, "web", name+"-token", "test")
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// TestConcurrentSubmissionsRespectBudget sends 20 submissions at the same
// instant by a member whose budget covers exactly one.
func TestConcurrentSubmissionsRespectBudget(t *testing.T) {
	r, store := newRunner(t, db.Budgets{DailyTokens: 4}, 50)
	m, s := member(t, store, "ada")

	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = r.Submit(context.Background(), jobs.Request{MemberID: m.ID,
				SessionID: s.ID, Model: "offline", Prompt: "a kite", AspectRatio: "1:1",
				Size: "1K", Count: 4})
		}()
	}
	close(start)
	wg.Wait()

	accepted := 0
	for _, err := range errs {
		var be *db.BudgetError
		switch {
		case err == nil:
			accepted++
		case errors.As(err, &be):
			if be.Budget != "daily tokens" || be.Remaining != 0 {
				t.Errorf("refusal names %q with %d left", be.Budget, be.Remaining)
			}
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if accepted != 1 {
		t.Fatalf("%d submissions accepted, want exactly 1", accepted)
	}

	q, err := store.MemberQuota(context.Background(), m.ID, r.Budgets())
	if err != nil {
		t.Fatal(err)
	}
	if q.DailyTokensUsed != 4 || q.TokensLeft() != 0 {
		t.Errorf("used %d, left %d; want 4 and 0", q.DailyTokensUsed, q.TokensLeft())
	}
	list, _ := store.RecentJobs(context.Background(), m.ID, 50)
	if len(list) != 1 {
		t.Errorf("%d jobs stored, want 1", len(list))
	}
}

func TestCancelReturnsReservation(t *testing.T) {
	r, store := newRunner(t, db.Budgets{DailyTokens: 10, MonthlyMicros: 1_000_000}, 20)
	m, s := member(t, store, "ada")
	ctx := context.Background()

	j, err := r.Submit(ctx, jobs.Request{MemberID: m.ID, SessionID: s.ID, Model: "offline",
		Prompt: "a kite", AspectRatio: "1:1", Size: "2K", Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := store.MemberQuota(ctx, m.ID, r.Budgets())
	if q.DailyTokensUsed != 8 {
		t.Fatalf("reserved %d tokens, want 8 (two 2K images)", q.DailyTokensUsed)
	}
	if p := r.Progress(j); p.Position != 0 {
		t.Errorf("queue position %d, want 0", p.Position)
	}

	if err := r.Cancel(ctx, j.ID, m.ID+1); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("cancel by another member: %v", err)
	}
	if err := r.Cancel(ctx, j.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.Cancel(ctx, j.ID, m.ID); !errors.Is(err, db.ErrNotQueued) {
		t.Errorf("second cancel: %v", err)
	}
	q, _ = store.MemberQuota(ctx, m.ID, r.Budgets())
	if q.DailyTokensUsed != 0 || q.MonthlyMicrosUsed != 0 {
		t.Errorf(
			"after cancel %d tokens and %d micros still held",
			q.DailyTokensUsed,
			q.MonthlyMicrosUsed,
		)
	}
	got, _ := store.Job(ctx, j.ID)
	if got.Status != db.StatusCanceled {
		t.Errorf("status %s", got.Status)
	}
	if p := r.Progress(got); p.Position != -1 {
		t.Errorf("cancelled job still queued at %d", p.Position)
	}
}

func TestQueueCapAndTooLarge(t *testing.T) {
	r, store := newRunner(t, db.Budgets{}, 2)
	m, s := member(t, store, "ada")
	ctx := context.Background()
	req := jobs.Request{MemberID: m.ID, SessionID: s.ID, Model: "offline",
		Prompt: "a kite", AspectRatio: "1:1", Size: "1K", Count: 1}

	for i := 0; i < 2; i++ {
		if _, err := r.Submit(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	var full *db.QueueFullError
	if _, err := r.Submit(ctx, req); !errors.As(err, &full) {
		t.Fatalf("third job: %v, want a full queue", err)
	}

	// Four 2K images weigh 16 tokens; a limit of 10 a minute can never
	// send them in one call.
	r.SetLimits(ctx, "offline", quota.Limits{RPM: 60, TPM: 10})
	req.Size, req.Count = "2K", 4
	var large *jobs.TooLargeError
	if _, err := r.Submit(ctx, req); !errors.As(err, &large) {
		t.Fatalf("oversized job: %v, want TooLargeError", err)
	}
}

// TestLimitsOutliveARestart changes a group's limits on one Runner and
// finds them on the next Runner over the same database.
func TestLimitsOutliveARestart(t *testing.T) {
	r, store := newRunner(t, db.Budgets{}, 20)
	ctx := context.Background()
	want := quota.Limits{RPM: 12, TPM: 34, RPD: 560}
	if err := r.SetLimits(ctx, "offline", want); err != nil {
		t.Fatal(err)
	}
	if err := r.SetLimits(ctx, "no-such-group", want); err == nil {
		t.Error("limits accepted for an unknown group")
	}

	next := jobs.New(jobs.Config{DB: store, Catalog: imagegen.DefaultCatalog(),
		Providers: map[imagegen.Protocol]imagegen.Provider{
			imagegen.ProtocolOffline: imagegen.NewOffline()},
		Limits: func(string) quota.Limits { return quota.Limits{RPM: 60, TPM: 60} }})
	runCtx, cancel := context.WithCancel(ctx)
	defer func() { cancel(); next.Wait() }()
	if err := next.Start(runCtx); err != nil {
		t.Fatal(err)
	}
	if got := next.Limiter("offline").Limits(); got != want {
		t.Errorf("after restart offline limits are %+v, want %+v", got, want)
	}
	if got := next.Limiter("gemini-2.5-flash-image").Limits(); got.RPM != 60 {
		t.Errorf("an unchanged group lost its configured limits: %+v", got)
	}
}

// panicky is a provider that panics, as a provider bug might.
type panicky struct{}

func (panicky) Generate(context.Context, imagegen.Request) (imagegen.Result, error) {
	panic("unexpected answer")
}

// TestProviderPanicFailsTheJobNotTheServer runs a job on a provider that
// panics: the job fails with a plain reason and its reservation returns.
func TestProviderPanicFailsTheJobNotTheServer(t *testing.T) {
	ctx := context.Background()
	store, err := db.Open(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	r := jobs.New(jobs.Config{DB: store, Catalog: imagegen.DefaultCatalog(),
		Providers: map[imagegen.Protocol]imagegen.Provider{imagegen.ProtocolOffline: panicky{}},
		Limits:    func(string) quota.Limits { return quota.Limits{RPM: 600, TPM: 600} },
		Attempts:  2, Backoff: quota.Backoff{Base: time.Millisecond, Cap: time.Millisecond}})
	m, s := member(t, store, "ada")
	runCtx, cancel := context.WithCancel(ctx)
	defer func() { cancel(); r.Wait() }()
	if err := r.Start(runCtx); err != nil {
		t.Fatal(err)
	}
	j, err := r.Submit(ctx, jobs.Request{MemberID: m.ID, SessionID: s.ID, Model: "offline",
		Prompt: "a kite", AspectRatio: "1:1", Size: "1K", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		// Take the change channel before reading, so no change is missed.
		changed := r.Changed()
		if j, _ = store.Job(ctx, j.ID); !j.Active() {
			break
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatal("job never ended")
		}
	}
	if j.Status != db.StatusFailed || !strings.Contains(j.Reason, "could not be read") {
		t.Errorf("job %s: %q", j.Status, j.Reason)
	}
	q, _ := store.MemberQuota(ctx, m.ID, db.Budgets{})
	if q.DailyTokensUsed != 0 {
		t.Errorf("%d tokens still held", q.DailyTokensUsed)
	}
}
