package main

import (
	"bufio"
	"context"
	"io"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"atelier/db"
	"atelier/imagegen/fakeupstream"
)

// TestGracefulShutdown stops the server while one provider call is in
// flight and another job waits for the limiter: the call finishes and is
// stored, the waiting job stays queued, and the next start runs it.
func TestGracefulShutdown(t *testing.T) {
	const model = "gemini-2.5-flash-image"
	fake := fakeupstream.New(fakeupstream.Config{APIKey: providerKey,
		Script: map[string][]fakeupstream.Fault{model: {
			fakeupstream.FaultSlow{Delay: 1500 * time.Millisecond},
		}}})
	up := httptest.NewServer(fake)
	defer up.Close()
	env := map[string]string{"GEMINI_API_KEY": providerKey, "GOOGLE_GEMINI_BASE_URL": up.URL}
	dbPath := filepath.Join(t.TempDir(), "atelier.db")

	// First run: one request a minute, so the second job must wait.
	ctx, cancel := context.WithCancel(context.Background())
	base, done, log := runUntil(t, ctx, env, "--db", dbPath, "--rpm", "1", "--tpm", "10")
	b := newBrowser(t, base)
	b.post("/setup", url.Values{"name": {"ada"}, "password": {"analytical-engine"}})
	form := url.Values{"prompt": {"a quiet harbour"}, "model": {model}, "aspect_ratio": {"1:1"},
		"size": {"1K"}, "count": {"1"}}
	first := b.post("/jobs", form).Header.Get("Location")
	second := b.post("/jobs", form).Header.Get("Location")
	if !strings.HasPrefix(first, "/jobs/") || !strings.HasPrefix(second, "/jobs/") {
		t.Fatalf("jobs not accepted: %q %q", first, second)
	}
	for fake.Stats(model).Requests == 0 {
		time.Sleep(20 * time.Millisecond)
	}

	// Stop while the first call is in flight.
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("shutdown did not finish")
	}
	if !strings.Contains(log.String(), "stopped cleanly") {
		t.Errorf("log does not report a clean stop:\n%s", log)
	}

	store, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	jobs, _ := store.UnfinishedJobs(context.Background())
	ada, _ := store.MemberByName(context.Background(), "ada")
	all, _ := store.RecentJobs(context.Background(), ada.ID, 10)
	store.Close()
	if len(all) != 2 || all[1].Status != db.StatusDone || len(all[1].Images) != 1 {
		t.Fatalf("after shutdown: %+v", all)
	}
	if len(jobs) != 1 || jobs[0].Status != db.StatusQueued {
		t.Fatalf("unfinished after shutdown: %+v", jobs)
	}

	// The next start runs the queued job.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	base, done, _ = runUntil(t, ctx2, env, "--db", dbPath, "--rpm", "60", "--tpm", "60")
	b = newBrowser(t, base)
	b.post("/login", url.Values{"name": {"ada"}, "password": {"analytical-engine"}})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, body := b.get(second)
		if res.Header.Get("Refresh") == "" {
			if !strings.Contains(string(body), `data-status="done"`) {
				t.Fatalf("resumed job did not finish done")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("resumed job still waiting")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel2()
	<-done
	if n := fake.Stats(model).Requests; n != 2 {
		t.Errorf("upstream saw %d calls, want 2", n)
	}
}

// runUntil starts run on a free port until ctx ends; it returns the base
// URL, the channel run's result arrives on, and its log. When the test
// ends the log must not hold the provider key, and it is printed if the
// test failed.
func runUntil(t *testing.T, ctx context.Context, env map[string]string, args ...string) (
	string, chan error, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	args = append([]string{"--addr", "127.0.0.1:0"}, args...)
	go func() {
		done <- run(ctx, args, func(k string) string { return env[k] },
			strings.NewReader(""), pw, log)
		pw.Close()
	}()

	// The first line names the address.
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("server did not start: %v\n%s", err, log)
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		if key := env["GEMINI_API_KEY"]; key != "" && strings.Contains(log.String(), key) {
			t.Error("the server log contains the provider key")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", log)
		}
	})
	base := strings.Fields(line[strings.Index(line, "http://"):])[0]
	waitHealthy(t, base)
	return base, done, log
}
