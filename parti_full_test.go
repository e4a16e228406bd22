package main

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"atelier/db"
	"atelier/imagegen/fakeupstream"
)

// The full PartiPrompts run is slow, so it runs only when asked:
//
//	go test -run TestPartiPromptsFull -parti-full -parti-rpm 600 -timeout 60m .
//
// -parti-rpm 60 is the real quota (about half an hour); 600 scales time
// tenfold for both Atelier's limiter and the fake's window.
var (
	partiFull = flag.Bool("parti-full", false, "run all 1,632 PartiPrompts")
	partiRPM  = flag.Int("parti-rpm", 600, "requests and tokens a minute, "+
		"for both Atelier and the fake (60 is the real quota)")
)

// TestPartiPromptsFull submits every PartiPrompts prompt as ten members
// through the running binary against the fake upstream with a strict
// per-minute window, and prints what happened.
func TestPartiPromptsFull(t *testing.T) {
	if !*partiFull {
		t.Skip("run with -parti-full")
	}
	const model, members = "gemini-2.5-flash-image", 10
	prompts := partiPrompts(t, -1)
	bin := atelierBinary(t)
	rpm := *partiRPM
	fake := fakeupstream.New(fakeupstream.Config{APIKey: "test-key",
		DefaultLimits: fakeupstream.Limits{RPM: rpm, TPM: rpm}})
	srv := httptest.NewServer(fake)
	defer srv.Close()

	// Ten members, each signed in over HTTP.
	dbPath := filepath.Join(t.TempDir(), "atelier.db")
	for i := range members {
		addMember(t, bin, dbPath, fmt.Sprintf("member%d", i), "correct horse battery")
	}
	p := startProc(t, bin, dbPath, processEnv(srv.URL, rpm))
	start := time.Now()

	// Each member submits every tenth prompt, all at once.
	ids := make([][]int64, members)
	var wg sync.WaitGroup
	for i := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := signIn(t, p.URL, fmt.Sprintf("member%d", i), "correct horse battery")
			for k := i; k < len(prompts); k += members {
				id, err := c.queue(model, prompts[k], 1)
				if err != nil {
					t.Errorf("prompt %d: %v", k, err)
					return
				}
				ids[i] = append(ids[i], id)
			}
		}()
	}
	wg.Wait()
	var all []int64
	for _, l := range ids {
		all = append(all, l...)
	}
	store, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	limit := time.Duration(len(prompts)/rpm+5) * 2 * time.Minute
	jobs := waitJobs(t, store, all, limit)
	wall := time.Since(start)
	p.kill(syscall.SIGTERM)

	reportParti(t, store, fake, jobs, len(prompts), rpm, wall)
}

// reportParti prints the run's figures and checks the ledger against the
// jobs and the fake.
func reportParti(t *testing.T, store *db.DB, fake *fakeupstream.Server, jobs []db.Job,
	prompts, rpm int, wall time.Duration) {
	var done, failed, images int
	var jobTok, jobMic int64
	for _, j := range jobs {
		switch j.Status {
		case db.StatusDone:
			done++
		case db.StatusFailed:
			failed++
		}
		images += len(j.Images)
		jobTok += j.SpentTokens
		jobMic += j.SpentMicros
	}
	var ledTok, ledMic, held int64
	err := store.EachLedger(context.Background(), db.LedgerQuery{},
		func(e db.LedgerEntry) error {
			ledTok += e.SpentTokens
			ledMic += e.SpentMicros
			held += e.ReservedMicros
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	st := fake.Total()
	fmt.Printf("PartiPrompts full run: %d prompts, 10 members, %d RPM / %d TPM "+
		"(%s)\n", prompts, rpm, rpm, scaleNote(rpm))
	fmt.Printf("  jobs done %d, failed %d; images stored %d\n", done, failed, images)
	fmt.Printf("  upstream requests %d, answered 200 %d, 429s %d, other errors %d\n",
		st.Requests, st.OK, st.RateLimited, st.Errors)
	fmt.Printf("  ledger: %d tokens, %s USD; sum over jobs: %d tokens, %s USD; "+
		"still reserved %d micros\n", ledTok, db.USD(ledMic), jobTok, db.USD(jobMic), held)
	fmt.Printf("  wall time %s (%.1f calls a minute)\n", wall.Round(time.Second),
		float64(st.Requests)/wall.Minutes())

	if done != prompts || images != prompts || failed != 0 {
		t.Errorf("%d done, %d failed, %d images of %d prompts", done, failed, images, prompts)
	}
	if ledTok != jobTok || ledMic != jobMic || held != 0 {
		t.Error("the ledger and the jobs disagree, or something is still reserved")
	}
	if st.RateLimited != 0 {
		t.Errorf("%d upstream 429s, want 0", st.RateLimited)
	}
}

// scaleNote says how the run's clock relates to the real quota.
func scaleNote(rpm int) string {
	if rpm == 60 {
		return "the real quota, real time"
	}
	return fmt.Sprintf("time scaled %gx: the real quota is 60 RPM", float64(rpm)/60)
}
