// Package testapp starts a whole Atelier (SQLite file, jobs runner and HTTP
// handler on a loopback server) for tests, and gives them a signed-in
// browser-like client.
package testapp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"atelier/auth"
	"atelier/db"
	"atelier/handlers"
	"atelier/imagegen"
	"atelier/jobs"
	"atelier/quota"
)

// Options change the app a test starts. Zero values mean: offline renderer
// only, default catalog, 600 RPM and TPM, no budgets, 20 queued jobs.
type Options struct {
	Providers map[imagegen.Protocol]imagegen.Provider
	Catalog   *imagegen.Catalog
	Limits    quota.Limits
	Budgets   db.Budgets
	MaxQueued int
	Attempts  int
	Backoff   quota.Backoff
	DBPath    string

	// Secrets must never appear in the server's log: provider keys,
	// passwords, API keys. AddMember and Login add theirs.
	Secrets []string
}

// App is a running Atelier.
type App struct {
	URL    string
	DB     *db.DB
	Runner *jobs.Runner
	Server *httptest.Server

	logMu   sync.Mutex
	log     bytes.Buffer
	secrets []string
}

// Secret registers a value that must never appear in the server's log;
// the check runs when the test ends.
func (a *App) Secret(s string) {
	a.logMu.Lock()
	defer a.logMu.Unlock()
	if s != "" {
		a.secrets = append(a.secrets, s)
	}
}

// lockedWriter lets the server log from many goroutines into one buffer.
type lockedWriter struct{ a *App }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.a.logMu.Lock()
	defer w.a.logMu.Unlock()
	return w.a.log.Write(p)
}

// Log returns everything the app has logged so far.
func (a *App) Log() string {
	a.logMu.Lock()
	defer a.logMu.Unlock()
	return a.log.String()
}

// New starts an app and stops it when the test ends. The server log is
// printed only when the test fails.
func New(t testing.TB, o Options) *App {
	t.Helper()
	if o.DBPath == "" {
		o.DBPath = filepath.Join(t.TempDir(), "atelier.db")
	}
	if o.Catalog == nil {
		o.Catalog = imagegen.DefaultCatalog()
	}
	if o.Providers == nil {
		o.Providers = map[imagegen.Protocol]imagegen.Provider{
			imagegen.ProtocolOffline: imagegen.NewOffline()}
	}
	if o.Limits.RPM == 0 {
		o.Limits = quota.Limits{RPM: 600, TPM: 600}
	}

	a := &App{secrets: o.Secrets}
	logger := slog.New(
		slog.NewTextHandler(lockedWriter{a}, &slog.HandlerOptions{Level: slog.LevelDebug}),
	)
	ctx, cancel := context.WithCancel(context.Background())

	store, err := db.Open(ctx, o.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	store.CacheThumbnails(8 << 20) // as the server runs, so tests cover it
	a.DB = store
	a.Runner = jobs.New(jobs.Config{DB: store, Catalog: o.Catalog, Providers: o.Providers,
		Limits: func(string) quota.Limits { return o.Limits }, Budgets: o.Budgets,
		MaxQueued: o.MaxQueued, Attempts: o.Attempts, Backoff: o.Backoff, Logger: logger})
	if err := a.Runner.Start(ctx); err != nil {
		t.Fatal(err)
	}

	keys := [][]byte{bytes.Repeat([]byte("k"), 32), bytes.Repeat([]byte("b"), 32)}
	a.Server = httptest.NewServer(handlers.New(handlers.Config{DB: store, Runner: a.Runner,
		Logger: logger, CookieKeys: keys, ProviderName: "test"}))
	a.URL = a.Server.URL

	t.Cleanup(func() {
		a.Server.Close()
		cancel()
		a.Runner.Wait()
		store.Close()
		log := a.Log()
		for _, secret := range a.secrets {
			if strings.Contains(log, secret) {
				t.Errorf("the server log contains a secret (%d bytes long)", len(secret))
			}
		}
		if t.Failed() {
			t.Logf("server log:\n%s", a.Log())
		}
	})
	return a
}

// AddMember creates a member directly in the database.
func (a *App) AddMember(t testing.TB, name, password string, admin bool) db.Member {
	t.Helper()
	a.Secret(password)
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	m, err := a.DB.CreateMember(context.Background(), name, hash, admin, false)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Client is a browser-like client with its own cookie jar.
type Client struct {
	App  *App
	HTTP *http.Client
	t    testing.TB
}

// Client returns a client with no session; redirects are not followed.
func (a *App) Client(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{App: a, t: t, HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Login returns a client signed in as name.
func (a *App) Login(t testing.TB, name, password string) *Client {
	t.Helper()
	c := a.Client(t)
	res := c.PostForm("/login", url.Values{"name": {name}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d: %s", name, res.StatusCode, res.Body)
	}
	return c
}

// Response is a read response.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       string
}

// Doc parses the body as HTML.
func (r Response) Doc(t testing.TB) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Do sends a request built by the caller.
func (c *Client) Do(req *http.Request) Response {
	c.t.Helper()
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return Response{StatusCode: res.StatusCode, Header: res.Header, Body: string(body)}
}

// Get fetches a path.
func (c *Client) Get(path string) Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.App.URL+path, nil)
	return c.Do(req)
}

// PostForm posts a form the way a browser on the same origin would.
func (c *Client) PostForm(path string, v url.Values) Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.App.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.Do(req)
}

// PostHTMX posts a form as htmx does.
func (c *Client) PostHTMX(path string, v url.Values) Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.App.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("HX-Request", "true")
	return c.Do(req)
}

// WaitJobs waits until none of the given jobs is queued or running.
func (a *App) WaitJobs(t testing.TB, ids ...int64) []db.Job {
	t.Helper()
	deadline := time.After(2 * time.Minute)
	for {
		changed := a.Runner.Changed()
		out := make([]db.Job, 0, len(ids))
		for _, id := range ids {
			j, err := a.DB.Job(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if j.Active() {
				break
			}
			out = append(out, j)
		}
		if len(out) == len(ids) {
			return out
		}
		select {
		case <-changed:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatalf("jobs %v still running after 2 minutes", ids)
		}
	}
}

// JobIDFromLocation reads the job id from a "/jobs/{id}" redirect.
func JobIDFromLocation(t testing.TB, res Response) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscanf(res.Header.Get("Location"), "/jobs/%d", &id); err != nil {
		t.Fatalf("no job redirect (status %d, location %q): %s", res.StatusCode,
			res.Header.Get("Location"), res.Body)
	}
	return id
}
