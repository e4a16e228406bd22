package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"atelier/db"
	"atelier/imagegen"
	"atelier/imagegen/fakeupstream"
)

// TestCrashResumesEveryJobOnce queues jobs on the real binary, kills it
// with SIGKILL while upstream calls are in flight, restarts it on the
// same database and checks that every job finishes exactly once with its
// images and a balanced ledger.
//
// A call in flight at the kill is cut off with its connection: the fake
// drops it unanswered, and the restarted server sends it again. Had the
// answer left the fake just before the kill, the provider would have
// served (and billed) that call twice while Atelier settles it once: the
// member is charged once, and the attempt is marked "interrupted" so an
// admin can tell. The test allows for that and counts it.
func TestCrashResumesEveryJobOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := atelierBinary(t)
	fake := fakeupstream.New(fakeupstream.Config{APIKey: "test-key",
		Random: []fakeupstream.Chance{{P: 1, Fault: fakeupstream.FaultSlow{
			Delay: 1200 * time.Millisecond}}}})
	srv := httptest.NewServer(fake)
	defer srv.Close()

	dbPath := filepath.Join(t.TempDir(), "atelier.db")
	addMember(t, bin, dbPath, "ada", "correct horse battery")
	env := processEnv(srv.URL, 600)
	p := startProc(t, bin, dbPath, env)
	c := signIn(t, p.URL, "ada", "correct horse battery")

	// Gemini jobs are one call an image; an Imagen job is one call.
	type want struct {
		model string
		count int
	}
	wants := map[int64]want{}
	for i, w := range []want{{"gemini-2.5-flash-image", 2}, {"imagen-4.0-generate-001", 3},
		{"gemini-2.5-flash-image", 1}, {"imagen-4.0-generate-001", 4},
		{"gemini-2.5-flash-image", 3}, {"imagen-4.0-generate-001", 1}} {
		id, err := c.queue(w.model, fmt.Sprintf("a lighthouse at dusk, study %d", i), w.count)
		if err != nil {
			t.Fatal(err)
		}
		wants[id] = w
	}

	// Kill while calls are in flight: the fake has received some and
	// answers each only after 1.2 s.
	deadline := time.Now().Add(10 * time.Second)
	for fake.Total().Requests < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d calls reached the fake", fake.Total().Requests)
		}
		time.Sleep(20 * time.Millisecond) // polling another process
	}
	p.kill(syscall.SIGKILL)
	killedAt := fake.Total()
	t.Logf("killed with %d requests received, %d answered", killedAt.Requests,
		killedAt.OK)

	// Restart on the same database and let everything finish.
	p = startProc(t, bin, dbPath, env)
	store, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var ids []int64
	for id := range wants {
		ids = append(ids, id)
	}
	jobs := waitJobs(t, store, ids, 60*time.Second)
	p.kill(syscall.SIGTERM)

	cat := imagegen.DefaultCatalog()
	settled, interrupted := 0, 0
	for _, j := range jobs {
		w := wants[j.ID]
		if j.Status != db.StatusDone || len(j.Images) != w.count {
			t.Errorf("job %d: %s (%q) with %d images, want done with %d", j.ID,
				j.Status, j.Reason, len(j.Images), w.count)
		}
		settled += checkLedger(t, store, cat, j)
		atts, err := store.JobAttempts(context.Background(), j.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range atts {
			if a.Outcome == "interrupted" {
				interrupted++
			}
		}
	}

	// Every settled call was served once; calls answered but cut off by
	// the kill were served twice and charged once.
	served := fake.Total().OK
	if served < settled || served-settled > interrupted {
		t.Errorf("the fake served %d calls, the ledger settled %d, %d were "+
			"interrupted", served, settled, interrupted)
	}
	if interrupted == 0 {
		t.Error("no attempt was in flight at the kill; the test proved nothing")
	}
	t.Logf("%d calls settled, %d served, %d interrupted by the kill", settled,
		served, interrupted)
}

// checkLedger checks one finished job's ledger: one row per call, the
// reservation fully released, and each call charged what the fake
// bills for it. It returns the number of settled calls.
func checkLedger(t *testing.T, store *db.DB, cat *imagegen.Catalog, j db.Job) int {
	t.Helper()
	rows, err := store.JobLedger(context.Background(), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := cat.Lookup(j.Model)
	var held, spent int64
	calls := map[int]bool{}
	for _, r := range rows {
		held += r.ReservedMicros
		spent += r.SpentMicros
		if r.Kind == "reserve" {
			continue
		}
		if calls[r.Call] {
			t.Errorf("job %d call %d settled twice", j.ID, r.Call)
		}
		calls[r.Call] = true
		if r.Kind != "settle" {
			t.Errorf("job %d call %d: %s", j.ID, r.Call, r.Kind)
		}
	}
	if held != 0 || len(calls) != j.Calls {
		t.Errorf("job %d: %d micros still held, %d of %d calls in the ledger",
			j.ID, held, len(calls), j.Calls)
	}

	// What the fake bills: Imagen per image, Gemini per token.
	want := m.PricePerImage * int64(j.Count)
	if m.TokenPriced() {
		want = int64(j.Calls) * m.Cost(imagegen.Usage{Reported: true,
			PromptTokens: int64(fakeupstream.PromptTokens(j.Prompt)),
			ImageTokens:  1290, TextTokens: 8}, 1)
	}
	if spent != want || j.SpentMicros != spent {
		t.Errorf("job %d spent %d micros (job says %d), the fake billed %d", j.ID,
			spent, j.SpentMicros, want)
	}
	return len(calls)
}
