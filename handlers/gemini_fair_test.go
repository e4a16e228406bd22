package handlers_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/genai"

	"atelier/db"
	"atelier/internal/testapp"
	"atelier/quota"
)

// limitedApp starts an app whose offline model may be called rpm times a
// minute, at a steady rpm/60 a second after a burst of ten seconds' worth:
// the shared limiter, not a test double, is what makes the queue.
func limitedApp(t *testing.T, rpm int64) *testapp.App {
	return testapp.New(t, testapp.Options{MaxQueued: 100,
		Limits: quota.Limits{RPM: rpm, TPM: 100_000}})
}

// waitFor waits, on the runner's change notifications, until cond holds.
func waitFor(t *testing.T, app *testapp.App, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		changed := app.Runner.Changed()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// queued returns the ids of the queued jobs of the given members.
func queued(t *testing.T, app *testapp.App, ms ...db.Member) []int64 {
	var ids []int64
	for _, m := range ms {
		for _, j := range jobsOf(t, app, m) {
			if j.Status == db.StatusQueued {
				ids = append(ids, j.ID)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// TestGeminiProtocolFairness has one script send 40 requests and another
// 4 while the first's are queued: round-robin must serve the second's
// requests within one turn each, and both ledgers must match their jobs.
func TestGeminiProtocolFairness(t *testing.T) {
	// 3 requests a second: ada's 40 arrive faster than that and queue.
	app := limitedApp(t, 180)
	ada := app.AddMember(t, "ada", "correct horse battery", false)
	bo := app.AddMember(t, "bo", "correct horse battery", false)
	adaSDK, boSDK := sdk(t, app, newKey(t, app, ada), "v1"), sdk(t, app, newKey(t, app, bo), "v1")

	var wg sync.WaitGroup
	errs := make(chan error, 44)
	send := func(c *genai.Client, prompt string) {
		defer wg.Done()
		resp, err := c.Models.GenerateContent(context.Background(), "offline",
			genai.Text(prompt), nil)
		if err == nil && (len(resp.Candidates) != 1 || resp.Candidates[0].Content == nil) {
			err = fmt.Errorf("%s: no image", prompt)
		}
		if err != nil {
			errs <- err
		}
	}

	// Ada's 40 arrive first and fill the queue; then bo's 4.
	start := time.Now()
	for i := range 40 {
		wg.Add(1)
		go send(adaSDK, fmt.Sprintf("ada %d", i))
	}
	waitFor(t, app, "ada's 40 jobs", func() bool { return len(jobsOf(t, app, ada)) == 40 })
	waiting := len(queued(t, app, ada))
	if waiting < 4 {
		t.Fatalf("only %d of ada's jobs queued; the limiter let the rest through", waiting)
	}
	for i := range 4 {
		wg.Add(1)
		go send(boSDK, fmt.Sprintf("bo %d", i))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// Round-robin: ada, bo, ada, bo, … so bo's k-th job (from 0) has k+1
	// of ada's ahead of it, plus at most one more: an ada job the
	// dispatcher takes between bo's job being written and being queued.
	adaJobs, boJobs := jobsOf(t, app, ada), jobsOf(t, app, bo)
	slices.SortFunc(boJobs, func(a, b db.Job) int { return int(a.ID - b.ID) })
	var ahead []int
	for k, b := range boJobs {
		n := 0
		for _, a := range adaJobs {
			if a.StartedAt.After(b.CreatedAt) && a.StartedAt.Before(b.StartedAt) {
				n++
			}
		}
		ahead = append(ahead, n)
		if n > k+2 {
			t.Errorf("bo's job #%d waited for %d of ada's jobs, want at most %d", k+1, n, k+2)
		}
	}
	t.Logf("%d of ada's jobs queued when bo's 4 arrived; ada's jobs started ahead of "+
		"each of bo's: %v; all 44 answered in %s", waiting, ahead,
		time.Since(start).Round(time.Millisecond))

	// Both ledgers match their jobs; every image is in the gallery.
	if tok, _ := checkLedger(t, app, ada); tok != 40 {
		t.Errorf("ada charged %d tokens, want 40", tok)
	}
	if tok, _ := checkLedger(t, app, bo); tok != 4 {
		t.Errorf("bo charged %d tokens, want 4", tok)
	}
	if a, b := len(memberImages(t, app, ada)), len(memberImages(t, app, bo)); a != 40 || b != 4 {
		t.Errorf("gallery: ada %d, bo %d images", a, b)
	}
}

// TestGeminiProtocolClientGone checks that a held request whose client
// disconnects while its job is queued cancels the job and refunds it.
func TestGeminiProtocolClientGone(t *testing.T) {
	// One request per ten seconds: the first filler goes, the second
	// waits on the limiter, the rest stay queued for the whole test.
	app := limitedApp(t, 6)
	ada := app.AddMember(t, "ada", "correct horse battery", false)
	key := newKey(t, app, ada)
	for range 20 {
		res := apiCall(t, app, key, "POST", "/api/v1/generations",
			`{"prompt":"filler","model":"offline"}`)
		if res.Status != 202 {
			t.Fatalf("filler: %d %s", res.Status, res.Body)
		}
	}
	waitFor(t, app, "a queue", func() bool { return len(queued(t, app, ada)) > 0 })

	ctx, cancel := context.WithCancel(context.Background())
	failed := make(chan error, 1)
	go func() {
		_, err := sdk(t, app, key, "v1beta").Models.GenerateContent(ctx, "offline",
			genai.Text("held then abandoned"), nil)
		failed <- err
	}()
	var held db.Job
	waitFor(t, app, "the held job", func() bool {
		for _, j := range jobsOf(t, app, ada) {
			if j.Prompt == "held then abandoned" {
				held = j
				return true
			}
		}
		return false
	})
	if held.Status != db.StatusQueued {
		t.Fatalf("held job is %s, want queued", held.Status)
	}
	cancel()
	if err := <-failed; err == nil {
		t.Fatal("the abandoned call succeeded")
	}
	waitFor(t, app, "the cancellation", func() bool {
		j, err := app.DB.Job(context.Background(), held.ID)
		return err == nil && j.Status == db.StatusCanceled
	})

	// Its reservation came back: only the 20 fillers are held.
	q, _ := app.DB.MemberQuota(context.Background(), ada.ID, db.Budgets{})
	if q.DailyTokensUsed != 20 {
		t.Errorf("ada holds %d tokens, want the fillers' 20", q.DailyTokensUsed)
	}
}
