package imagegen

import (
	"bytes"
	"context"
	"io"
	"net/http"
)

// The genai SDK turns an error answer into an APIError that keeps the
// status and body but drops the headers (Retry-After), and it cannot read
// a body that is a JSON array. So the providers' HTTP clients keep the
// raw answer of each call themselves, and classification reads that.

// captured is the raw answer of one call.
type captured struct {
	status int
	header http.Header
	body   []byte // error answers: read here; others: see ok
	ok     *bytes.Buffer
}

// captureKey marks the context value that receives the raw answer.
type captureKey struct{}

// withCapture returns a context whose call's raw answer lands in c.
func withCapture(ctx context.Context, c *captured) context.Context {
	return context.WithValue(ctx, captureKey{}, c)
}

// maxErrorBody bounds how much of an error answer is kept.
const maxErrorBody = 1 << 20

// recordingTransport keeps each call's raw answer and, when token is
// set, adds the Vertex bearer token.
type recordingTransport struct {
	base  http.RoundTripper
	token string
}

// RoundTrip sends r and keeps what came back.
func (t recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	// The bearer token goes on a copy: a RoundTripper must not edit r.
	if t.token != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+t.token)
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	c, _ := r.Context().Value(captureKey{}).(*captured)
	if c == nil {
		return resp, nil
	}
	c.status, c.header = resp.StatusCode, resp.Header.Clone()
	if resp.StatusCode >= 300 {
		c.body, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(c.body))
		return resp, nil
	}

	// A success is copied as the SDK reads it: the SDK drops a few
	// fields (finishMessage on the Gemini API) that members should see.
	c.ok = &bytes.Buffer{}
	resp.Body = teeBody{Reader: io.TeeReader(resp.Body, c.ok), Closer: resp.Body}
	return resp, nil
}

// teeBody is a response body whose reads are copied elsewhere.
type teeBody struct {
	io.Reader
	io.Closer
}

// recordingClient returns a copy of hc (or a default client) whose
// transport records answers; the caller's client is left untouched.
func recordingClient(hc *http.Client, token string) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = recordingTransport{base: base, token: token}
	return c
}
