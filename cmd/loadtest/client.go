package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// newTransport returns a keep-alive transport with a connection per
// client, so no client waits for another's connection.
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// newClient returns a client that does not follow redirects: a 303 after
// a form post is the answer being measured.
func newClient(tr http.RoundTripper, jar http.CookieJar) *http.Client {
	return &http.Client{
		Transport: tr,
		Jar:       jar,
		Timeout:   30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// signIn posts the sign-in form and returns a cookie jar holding the
// member's session.
func signIn(ctx context.Context, tr http.RoundTripper, base string, m member,
	rec *recorder) (http.CookieJar, error) {
	jar, _ := cookiejar.New(nil)
	c := newClient(tr, jar)
	form := url.Values{"name": {m.Name}, "password": {m.Password}}
	res, err := postForm(ctx, c, base+"/login", form, kindLogin, rec)
	if err != nil {
		return nil, err
	}
	if res.status != http.StatusSeeOther {
		return nil, fmt.Errorf("sign in as %s: status %d", m.Name, res.status)
	}
	return jar, nil
}

// result is a finished request: its status, headers and body.
type result struct {
	status int
	header http.Header
	body   []byte
}

// get fetches url and records it under kind; any status from 400 up
// and any transport error count as errors.
func get(ctx context.Context, c *http.Client, url, kind string, rec *recorder) (result,
	error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return result{}, err
	}
	return do(c, req, kind, rec)
}

// postForm posts a form as a same-origin browser would.
func postForm(ctx context.Context, c *http.Client, url string, form url.Values,
	kind string, rec *recorder) (result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url,
		strings.NewReader(form.Encode()))
	if err != nil {
		return result{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return do(c, req, kind, rec)
}

// errStopped marks a request cut short by the end of the run; it is not
// counted as an error.
var errStopped = errors.New("run ended")

func do(c *http.Client, req *http.Request, kind string, rec *recorder) (result, error) {
	start := time.Now()
	res, err := c.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	d := time.Since(start)

	// A request the deadline interrupted says nothing about the server.
	if req.Context().Err() != nil {
		return result{}, errStopped
	}
	if err != nil {
		rec.fail(kind, d, err.Error())
		return result{}, err
	}
	r := result{status: res.StatusCode, header: res.Header, body: body}
	if res.StatusCode >= 400 {
		msg := fmt.Sprintf("%s %s: status %d", req.Method, req.URL.Path, res.StatusCode)
		rec.fail(kind, d, msg)
		return r, errors.New(msg)
	}
	rec.ok(kind, d)
	return r, nil
}
