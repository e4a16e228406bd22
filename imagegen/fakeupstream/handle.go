package fakeupstream

import (
	"net/http"
	"strings"
	"time"
)

// call is one request being answered.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	model  string
	method string // "generateContent" or "predict"
	vertex bool
	body   []byte

	gen  *genRequest
	pred *predictRequest
}

// statusWriter remembers the status written, for the counters.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach Hijack for dropped answers.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// serveGeminiAPI answers /{v1,v1beta}/models/{model}:{method}.
func (s *Server) serveGeminiAPI(w http.ResponseWriter, r *http.Request) {
	model, method := splitCall(r.PathValue("call"))
	c := &call{w: w, r: r, model: model, method: method, body: readBody(r)}
	s.record(r, model, c.body)
	sw := &statusWriter{ResponseWriter: w}
	c.w = sw
	defer func() { s.outcome(model, sw.status) }()

	// Only the versions clients use exist.
	if v := r.PathValue("version"); v != "v1" && v != "v1beta" {
		writeError(c.w, http.StatusNotFound, "version "+v+" not found")
		return
	}
	if !s.keyOK(c) {
		return
	}
	s.serve(c)
}

// serveVertex answers the Vertex publisher-model path.
func (s *Server) serveVertex(w http.ResponseWriter, r *http.Request) {
	model, method := splitCall(r.PathValue("call"))
	c := &call{w: w, r: r, model: model, method: method, vertex: true,
		body: readBody(r)}
	s.record(r, model, c.body)
	sw := &statusWriter{ResponseWriter: w}
	c.w = sw
	defer func() { s.outcome(model, sw.status) }()

	// The bearer token stands for the service account's access token.
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" || (s.cfg.BearerToken != "" && tok != s.cfg.BearerToken) {
		writeError(c.w, http.StatusUnauthorized, "Request had invalid "+
			"authentication credentials. Expected OAuth 2 access token.")
		return
	}
	s.serve(c)
}

// keyOK checks the Gemini API key the way the real API answers: a
// missing key is 403, a wrong one 400 API_KEY_INVALID.
func (s *Server) keyOK(c *call) bool {
	key := c.r.Header.Get("x-goog-api-key")
	if key == "" {
		key = c.r.URL.Query().Get("key")
	}
	switch {
	case key == "":
		writeError(c.w, http.StatusForbidden, "Method doesn't allow "+
			"unregistered callers. Please use API Key or other form of API "+
			"consumer identity to call this API.")
		return false
	case s.cfg.APIKey != "" && key != s.cfg.APIKey:
		writeError(c.w, http.StatusBadRequest, "API key not valid. Please "+
			"pass a valid API key.", map[string]any{
			"@type":  "type.googleapis.com/google.rpc.ErrorInfo",
			"reason": "API_KEY_INVALID", "domain": "googleapis.com",
		})
		return false
	}
	return true
}

// serve decodes the call, plays uncounted faults, runs the window and
// answers.
func (s *Server) serve(c *call) {
	// Decode and validate the body as the real API would.
	var tokens int
	var ok bool
	switch c.method {
	case "generateContent":
		tokens, ok = s.decodeGen(c)
	case "predict":
		tokens, ok = s.decodePredict(c)
	default:
		writeError(c.w, http.StatusNotFound, "method "+c.method+" not found")
		return
	}
	if !ok {
		return
	}

	// Faults the real API answers before counting the call.
	if f := s.next(c.model, false); f != nil {
		s.play(c, f)
		return
	}

	// The strict sliding window.
	if v := s.admit(c.model, tokens); v.quota != "" {
		s.refuse(c, v)
		return
	}
	s.play(c, s.next(c.model, true))
}

// refuse answers the 429 of a call the window did not admit.
func (s *Server) refuse(c *call, v verdict) {
	if c.vertex {
		writeVertex429(c.w, c.model)
		return
	}
	s.mu.Lock()
	lim, ok := s.limits[c.model]
	if !ok {
		lim = s.cfg.DefaultLimits
	}
	s.mu.Unlock()
	limit := map[string]int{"rpm": lim.RPM, "tpm": lim.TPM, "rpd": lim.RPD}[v.quota]
	write429(c.w, c.model, v.quota, limit, v.wait)
}

// play answers the call as fault f says (nil: normally).
func (s *Server) play(c *call, f Fault) {
	switch f := f.(type) {
	case FaultRateLimit:
		write429(c.w, c.model, "rpm", 10, f.Delay)
	case FaultBare429:
		if f.RetryAfter != "" {
			c.w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(c.w, http.StatusTooManyRequests, "Resource has been exhausted "+
			"(e.g. check quota).")
	case FaultVertex429:
		writeVertex429(c.w, c.model)
	case FaultArray429:
		writeArray429(c.w, c.model, f.Delay)
	case FaultBilling:
		writeBilling(c.w)
	case FaultDaily:
		write429(c.w, c.model, "rpd", 100, f.Delay)
	case FaultBlockedPrompt:
		writeBlockedPrompt(c.w)
	case FaultStatus:
		writeStatus(c.w, f.Code)
	case FaultSlow:
		s.slow(c, f)
	case FaultDrop:
		drop(c)
	case FaultMalformed:
		c.w.Header().Set("Content-Type", "application/json")
		_, _ = c.w.Write([]byte(`{"candidates": [{"content": {"parts": [{"inl`))
	default:
		if c.method == "generateContent" {
			s.answerGen(c, f)
		} else {
			s.answerPredict(c, f)
		}
	}
}

// slow waits, unless the client gives up first, then answers.
func (s *Server) slow(c *call, f FaultSlow) {
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		s.play(c, f.Then)
	case <-c.r.Context().Done():
	}
}

// drop closes the connection without answering.
func drop(c *call) {
	conn, _, err := http.NewResponseController(c.w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
