package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// server is Atelier started through run, as main starts it.
type server struct {
	URL    string
	DBPath string
	stderr *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs Atelier on a free loopback port with a fresh database
// and the given extra arguments and environment, and stops it at the end
// of the test. Its log is printed only when the test fails.
func startServer(t *testing.T, env map[string]string, args ...string) *server {
	t.Helper()
	s := &server{DBPath: filepath.Join(t.TempDir(), "atelier.db")}
	ctx, cancel := context.WithCancel(context.Background())
	var done chan error
	s.URL, done, s.stderr = runUntil(t, ctx, env, append([]string{"--db", s.DBPath}, args...)...)

	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server exited: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("server did not stop within 30 s")
		}
	})
	return s
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server never became healthy")
}

// browser is an HTTP client with a cookie jar that posts as a same-origin
// page would.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) post(path string, v url.Values) *http.Response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func (b *browser) get(path string) (*http.Response, []byte) {
	b.t.Helper()
	res, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

// partiPrompts reads the first n prompts (all when n < 0) of the
// PartiPrompts set, which sits in the shared data folder beside the
// project. The file is plain
// tab-separated text whose prompts may hold quote characters, so it is
// split by lines and tabs rather than read as CSV.
func partiPrompts(t testing.TB, n int) []string {
	t.Helper()
	path := filepath.Join("..", "shared", "data", "PartiPrompts.tsv")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the PartiPrompts data set is expected at %s: %v", path, err)
	}
	var out []string
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for _, line := range lines[1:] {
		if len(out) == n {
			break
		}
		line = strings.TrimRight(line, "\r")
		if p, _, _ := strings.Cut(line, "\t"); strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}
