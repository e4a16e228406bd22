package main

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
	"regexp"
	"slices"
	"sync"
	"time"

	"atelier/auth"
	"atelier/db"
	"atelier/handlers"
	"atelier/imagegen"
	"atelier/internal/seed"
	"atelier/jobs"
	"atelier/quota"
)

// timed records how long the wrapped handler takes for each request, so
// the numbers are the server's own and leave out the client.
type timed struct {
	next http.Handler
	mu   sync.Mutex
	last time.Duration
}

func (t *timed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	t.next.ServeHTTP(w, r)
	t.mu.Lock()
	t.last = time.Since(start)
	t.mu.Unlock()
}

// bench is the running server and a signed-in client.
type bench struct {
	srv    *httptest.Server
	timer  *timed
	client *http.Client
}

const password = "benchmark password"

// start seeds n images at path, starts Atelier on loopback and signs in.
func start(ctx context.Context, path string, n int, out io.Writer) (*bench, error) {
	store, err := db.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, name := range []string{"ada", "bo", "cy", "dee", "eve"} {
		m, err := store.CreateMember(ctx, name, hash, name == "ada", false)
		if err != nil {
			return nil, err
		}
		ids = append(ids, m.ID)
	}

	began := time.Now()
	_, err = seed.Images(ctx, path, seed.Options{Members: ids, Images: n, Seed: 1,
		Now: time.Now(), Span: 365 * 24 * time.Hour})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "seeded %d images in %s\n", n,
		time.Since(began).Round(time.Millisecond))

	// The runner is needed by the handler for models and budgets; it has
	// nothing to do here.
	catalog := imagegen.DefaultCatalog()
	runner := jobs.New(jobs.Config{DB: store, Catalog: catalog,
		Providers: map[imagegen.Protocol]imagegen.Provider{
			imagegen.ProtocolOffline: imagegen.NewOffline()},
		Limits: func(string) quota.Limits { return quota.Limits{RPM: 60, TPM: 60} },
		Logger: slog.New(slog.DiscardHandler)})
	if err := runner.Start(ctx); err != nil {
		return nil, err
	}
	keys := [][]byte{bytes.Repeat([]byte("k"), 32), bytes.Repeat([]byte("b"), 32)}
	b := &bench{timer: &timed{next: handlers.New(handlers.Config{DB: store,
		Runner: runner, Logger: slog.New(slog.DiscardHandler), CookieKeys: keys})}}
	b.srv = httptest.NewServer(b.timer)
	return b, b.login()
}

// Close stops the server.
func (b *bench) Close() { b.srv.Close() }

func (b *bench) login() error {
	jar, _ := cookiejar.New(nil)
	noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	b.client = &http.Client{Jar: jar, CheckRedirect: noFollow}
	v := url.Values{"name": {"bo"}, "password": {password}}
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/login",
		bytes.NewBufferString(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := b.client.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("sign in: status %d", res.StatusCode)
	}
	return nil
}

// get fetches a path, checks for 200, and returns the body and how long
// the server took.
func (b *bench) get(path string) (string, time.Duration, error) {
	res, err := b.client.Get(b.srv.URL + path)
	if err != nil {
		return "", 0, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d", path, res.StatusCode)
	}
	b.timer.mu.Lock()
	defer b.timer.mu.Unlock()
	return string(body), b.timer.last, err
}

var moreLink = regexp.MustCompile(`class="more" href="([^"]+)"`)

// deepPage follows "load more" pages times and returns that page's path.
func (b *bench) deepPage(pages int) (string, error) {
	path := "/gallery"
	for range pages {
		body, _, err := b.get(path)
		if err != nil {
			return "", err
		}
		m := moreLink.FindStringSubmatch(body)
		if m == nil {
			return "", fmt.Errorf("no load-more link after %s", path)
		}
		path = htmlUnescape(m[1])
	}
	return path, nil
}

// measure fetches path iter times (after a few warm-up requests) and
// returns the server's times, sorted.
func (b *bench) measure(path string, iter int) ([]time.Duration, error) {
	var out []time.Duration
	for i := range iter + 5 {
		_, d, err := b.get(path)
		if err != nil {
			return nil, err
		}
		if i >= 5 {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out, nil
}

// pct is the p-th percentile of sorted durations, in milliseconds.
func pct(d []time.Duration, p int) float64 {
	i := min(len(d)-1, (len(d)*p+99)/100-1)
	return float64(d[max(i, 0)].Microseconds()) / 1000
}
