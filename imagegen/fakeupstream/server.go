// Package fakeupstream is a protocol-faithful fake of Google's image
// endpoints: generateContent and :predict on the Gemini API, and :predict
// on Vertex. It draws real PNG images at the requested size, counts a
// strict 60-second sliding window per model like the real quota system,
// answers the real 429 body past it, and serves every misbehaviour of the
// real API on demand, for tests, benchmarks and local demos.
package fakeupstream

import (
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Config configures a fake upstream. The zero value accepts any key,
// limits nothing and never fails.
type Config struct {
	// APIKey is the x-goog-api-key the Gemini API paths accept ("" = any).
	APIKey string
	// BearerToken is the token the Vertex path accepts ("" = any).
	BearerToken string

	// Limits per model id; models not listed get DefaultLimits.
	Limits        map[string]Limits
	DefaultLimits Limits

	// Weights is the TPM weight of one image by size, matching how
	// Atelier's limiter counts tokens (default 1K: 1, 2K: 4).
	Weights map[string]int

	// ImageTokens is the image-output tokens reported per image by size
	// on generateContent (default 1K: 1290, 2K: 1680).
	ImageTokens map[string]int
	// ThoughtTokens is the thinking tokens reported per call (default 0).
	ThoughtTokens int

	// Script holds the initial fault queue per model.
	Script map[string][]Fault
	// Random injects faults into unscripted calls with a probability.
	Random []Chance
	// Seed seeds Random, so a benchmark's faults repeat.
	Seed uint64

	// Now is the clock (default time.Now); tests inject a fake one.
	Now func() time.Time
}

// Stats counts what one model received.
type Stats struct {
	Requests    int // every request routed to the model
	OK          int // answered 200
	RateLimited int // answered 429
	Errors      int // answered another error, or dropped
}

// Recorded is one raw request, kept for contract tests.
type Recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
	Model  string
	At     time.Time
}

// Server is the fake upstream; it is an http.Handler.
type Server struct {
	cfg Config
	mux *http.ServeMux

	mu       sync.Mutex
	limits   map[string]Limits
	windows  map[string]*window
	script   map[string][]Fault
	stats    map[string]*Stats
	recorded []Recorded
	rng      *rand.Rand
}

// New returns a fake upstream serving cfg.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Weights == nil {
		cfg.Weights = map[string]int{"1K": 1, "2K": 4}
	}
	if cfg.ImageTokens == nil {
		cfg.ImageTokens = map[string]int{"1K": 1290, "2K": 1680}
	}
	s := &Server{
		cfg:     cfg,
		limits:  map[string]Limits{},
		windows: map[string]*window{},
		script:  map[string][]Fault{},
		stats:   map[string]*Stats{},
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
	}
	for m, l := range cfg.Limits {
		s.limits[m] = l
	}
	for m, fs := range cfg.Script {
		s.script[m] = append([]Fault(nil), fs...)
	}
	s.routes()
	return s
}

// routes lists every endpoint the fake speaks.
func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /{version}/models/{call}", s.serveGeminiAPI)
	s.mux.HandleFunc("POST /{version}/projects/{p}/locations/{l}"+
		"/publishers/google/models/{call}", s.serveVertex)
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Script queues faults for the next calls to model, after any already
// queued.
func (s *Server) Script(model string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script[model] = append(s.script[model], faults...)
}

// SetLimits changes a model's quotas at once (e.g. to halve the real
// quota silently in the middle of a benchmark).
func (s *Server) SetLimits(model string, l Limits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits[model] = l
}

// Stats returns the counters of one model.
func (s *Server) Stats(model string) Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.stats[model]; st != nil {
		return *st
	}
	return Stats{}
}

// Total sums the counters over every model.
func (s *Server) Total() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t Stats
	for _, st := range s.stats {
		t.Requests += st.Requests
		t.OK += st.OK
		t.RateLimited += st.RateLimited
		t.Errors += st.Errors
	}
	return t
}

// Requests returns a copy of every request received so far.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.recorded...)
}

// record keeps the raw request and counts it for its model.
func (s *Server) record(r *http.Request, model string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recorded = append(s.recorded, Recorded{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: body, Model: model, At: s.cfg.Now(),
	})
	s.statsOf(model).Requests++
}

// statsOf returns the counters of model; the caller holds s.mu.
func (s *Server) statsOf(model string) *Stats {
	st := s.stats[model]
	if st == nil {
		st = &Stats{}
		s.stats[model] = st
	}
	return st
}

// outcome counts how a request to model was answered.
func (s *Server) outcome(model string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.statsOf(model)
	switch {
	case status == http.StatusOK:
		st.OK++
	case status == http.StatusTooManyRequests:
		st.RateLimited++
	default:
		st.Errors++
	}
}

// next pops the model's next scripted fault, or draws a random one, or
// returns nil for a normal answer. Faults the real API would not count
// are popped before the window is consulted; the others only once the
// call has been admitted, so a 429 never eats a scripted answer.
func (s *Server) next(model string, counted bool) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.script[model]; len(q) > 0 {
		if q[0].counted() != counted {
			return nil
		}
		s.script[model] = q[1:]
		return q[0]
	}
	for _, c := range s.cfg.Random {
		if c.Fault.counted() == counted && s.rng.Float64() < c.P {
			return c.Fault
		}
	}
	return nil
}

// admit runs the call through the model's sliding window.
func (s *Server) admit(model string, tokens int) verdict {
	s.mu.Lock()
	defer s.mu.Unlock()
	lim, ok := s.limits[model]
	if !ok {
		lim = s.cfg.DefaultLimits
	}
	w := s.windows[model]
	if w == nil {
		w = &window{}
		s.windows[model] = w
	}
	return w.admit(s.cfg.Now(), tokens, lim)
}

// splitCall splits "gemini-2.5-flash-image:generateContent".
func splitCall(call string) (model, method string) {
	model, method, _ = strings.Cut(call, ":")
	return model, method
}

// readBody reads a request body of sane size.
func readBody(r *http.Request) []byte {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	return b
}
