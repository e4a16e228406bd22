package browsertest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// client is a plain HTTP client signed in as a member, used to prepare
// data that a flow needs but does not test (many images, say).
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

// signedIn signs a member in over plain HTTP.
func signedIn(t *testing.T, s *server, name string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: s.URL, http: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
	res := c.post("/login", url.Values{"name": {name}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: status %d", name, res.StatusCode)
	}
	return c
}

func (c *client) post(path string, form url.Values) *http.Response {
	c.t.Helper()
	res, err := c.http.PostForm(c.base+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// generate submits jobs of count images in an aspect ratio and waits
// until all have finished, returning their ids.
func (c *client) generate(ratio string, count int, prompts ...string) []int64 {
	c.t.Helper()
	var ids []int64
	for _, p := range prompts {
		res := c.post("/jobs", url.Values{"prompt": {p}, "model": {"offline"},
			"aspect_ratio": {ratio}, "size": {"1K"}, "count": {fmt.Sprint(count)}})
		var id int64
		if _, err := fmt.Sscanf(res.Header.Get("Location"), "/jobs/%d", &id); err != nil {
			c.t.Fatalf("job %q: status %d", p, res.StatusCode)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		c.waitJob(id)
	}
	return ids
}

// waitJob polls a job's page until it stops asking to be refreshed, as a
// browser without script would, and checks that the job succeeded.
func (c *client) waitJob(id int64) {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		res, err := c.http.Get(fmt.Sprintf("%s/jobs/%d", c.base, id))
		if err != nil {
			c.t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.Header.Get("Refresh") == "" {
			if !strings.Contains(string(body), `data-status="done"`) {
				c.t.Fatalf("job %d did not succeed:\n%s", id, body)
			}
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("job %d still running after a minute", id)
		}
	}
}
