package jobs_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"atelier/db"
	"atelier/imagegen"
	"atelier/imagegen/fakeupstream"
	"atelier/jobs"
	"atelier/quota"
)

// Models the fault tests use, with the catalog's default prices.
const (
	flash  = "gemini-2.5-flash-image"
	imagen = "imagen-4.0-generate-001"
)

// env is a started Runner whose real providers talk to a fake upstream
// on loopback, over a real SQLite file.
type env struct {
	t      *testing.T
	fake   *fakeupstream.Server
	url    string
	store  *db.DB
	dbPath string
	r      *jobs.Runner
	stop   context.CancelFunc
	member db.Member
	sess   db.Session
}

// fakeConfig is the fake's configuration for the fault tests: no limits,
// and 40 thinking tokens a call so their billing shows.
func fakeConfig() fakeupstream.Config {
	return fakeupstream.Config{APIKey: "test-key", ThoughtTokens: 40}
}

// newEnv starts a fake upstream, a database and a Runner.
func newEnv(t *testing.T, tweak func(*jobs.Config)) *env {
	t.Helper()
	e := &env{t: t, fake: fakeupstream.New(fakeConfig())}
	srv := httptest.NewServer(e.fake)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.dbPath = filepath.Join(t.TempDir(), "atelier.db")
	store, err := db.Open(context.Background(), e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e.store = store
	e.member, e.sess = member(t, store, "ada")
	e.start(tweak)
	return e
}

// start builds and starts a Runner on e's database; it stops at cleanup.
func (e *env) start(tweak func(*jobs.Config)) {
	e.t.Helper()
	e.r = jobs.New(e.config(tweak))
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.r.Start(ctx); err != nil {
		e.t.Fatal(err)
	}
	r := e.r
	e.stop = func() { cancel(); r.Wait() }
	e.t.Cleanup(e.stop)
}

// config wires the real Gemini and Imagen providers to the fake.
func (e *env) config(tweak func(*jobs.Config)) jobs.Config {
	e.t.Helper()
	ctx := context.Background()
	cat := imagegen.DefaultCatalog()
	g, err := imagegen.NewGemini(ctx, imagegen.GeminiConfig{APIKey: "test-key",
		BaseURL: e.url, Catalog: cat})
	if err != nil {
		e.t.Fatal(err)
	}
	im, err := imagegen.NewImagen(ctx, imagegen.ImagenConfig{APIKey: "test-key",
		BaseURL: e.url, Catalog: cat})
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := jobs.Config{DB: e.store, Catalog: cat,
		Providers: map[imagegen.Protocol]imagegen.Provider{
			imagegen.ProtocolGemini: g, imagegen.ProtocolImagen: im,
			imagegen.ProtocolOffline: imagegen.NewOffline()},
		Limits:      func(string) quota.Limits { return quota.Limits{RPM: 600, TPM: 600} },
		Attempts:    3,
		Backoff:     quota.Backoff{Base: 10 * time.Millisecond, Cap: 50 * time.Millisecond},
		CallTimeout: 5 * time.Second,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	return cfg
}

// submit queues a job of count images of model at 1K, square.
func (e *env) submit(model string, count int, prompt string) db.Job {
	e.t.Helper()
	j, err := e.r.Submit(context.Background(), jobs.Request{MemberID: e.member.ID,
		SessionID: e.sess.ID, Model: model, Prompt: prompt, AspectRatio: "1:1",
		Size: "1K", Count: count})
	if err != nil {
		e.t.Fatalf("submit: %v", err)
	}
	return j
}

// wait returns the job once it has ended, failing after 15 s.
func (e *env) wait(id int64) db.Job {
	e.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		ch := e.r.Changed()
		j, err := e.store.Job(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if !j.Active() {
			return j
		}
		select {
		case <-ch:
		case <-deadline:
			e.t.Fatalf("job %d still %s after 15 s", id, j.Status)
		}
	}
}

// run submits a job and waits for its end.
func (e *env) run(model string, count int, prompt string) db.Job {
	e.t.Helper()
	return e.wait(e.submit(model, count, prompt).ID)
}

// calls returns the job's settle and refund rows, by call, and checks
// that together with the reserve row they release exactly what was held.
func (e *env) calls(j db.Job) map[int]db.LedgerEntry {
	e.t.Helper()
	rows, err := e.store.JobLedger(context.Background(), j.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[int]db.LedgerEntry{}
	var heldTok, heldMic int64
	for _, row := range rows {
		heldTok += row.ReservedTokens
		heldMic += row.ReservedMicros
		if row.Kind == "reserve" {
			if row.ReservedTokens != j.EstTokens || row.ReservedMicros != j.EstMicros {
				e.t.Errorf("reserve row holds %d/%d, job estimates %d/%d",
					row.ReservedTokens, row.ReservedMicros, j.EstTokens, j.EstMicros)
			}
			continue
		}
		if _, dup := out[row.Call]; dup {
			e.t.Errorf("call %d has two ledger rows", row.Call)
		}
		out[row.Call] = row
	}
	if !j.Active() && (heldTok != 0 || heldMic != 0) {
		e.t.Errorf("job %d ended still holding %d tokens, %d micros", j.ID, heldTok, heldMic)
	}
	if !j.Active() && len(out) != j.Calls {
		e.t.Errorf("job %d has %d call rows, want %d", j.ID, len(out), j.Calls)
	}
	return out
}

// images returns the MIME types of the job's stored images, read back
// from the database, and checks failed jobs show none in the gallery.
func (e *env) images(j db.Job) []string {
	e.t.Helper()
	ctx := context.Background()
	page, _, err := e.store.Gallery(ctx, db.GalleryQuery{Member: e.member.ID, Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	var mimes []string
	for _, im := range page {
		if im.JobID != j.ID {
			continue
		}
		_, mime, _, err := e.store.ImageData(ctx, im.ID, false)
		if err != nil {
			e.t.Fatal(err)
		}
		if im.MIME != mime {
			e.t.Errorf("image %d listed as %s, stored as %s", im.ID, im.MIME, mime)
		}
		mimes = append(mimes, mime)
	}
	if j.Status == db.StatusFailed && len(mimes) > 0 {
		e.t.Errorf("failed job %d shows %d images in the gallery", j.ID, len(mimes))
	}
	return mimes
}

// requests counts what the fake received for model.
func (e *env) requests(model string) int { return e.fake.Stats(model).Requests }

// attemptTimes returns when each request to model reached the fake.
func (e *env) attemptTimes(model string) []time.Time {
	var out []time.Time
	for _, rq := range e.fake.Requests() {
		if rq.Model == model {
			out = append(out, rq.At)
		}
	}
	return out
}

// flashCost is what gemini-2.5-flash-image bills for a call, in micros:
// $0.30 per million input tokens, $30 per million image-output tokens,
// $2.50 per million text or thinking tokens, rounded up to the micro.
func flashCost(prompt, image, text, thought int64) int64 {
	sum := prompt*300_000 + image*30_000_000 + (text+thought)*2_500_000
	return (sum + 999_999) / 1_000_000
}
