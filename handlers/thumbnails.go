package handlers

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// thumbnailRoute is the route pattern thumbnails are logged and counted
// under, as the general chain would.
const thumbnailRoute = "GET /files/{id}/{sha}/{kind}"

// fastThumbnails answers the request a gallery page makes dozens of
// times, a signed-in member's thumbnail, ahead of the general
// middleware, whose context values, second route match and wrappers cost
// as much as the answer itself. Only the plain successful case is
// answered here, with the same checks and headers as getImageFile: a
// request with a query, without a valid session, or for a missing or
// mismatched image goes down the general chain unchanged.
func (s *Server) fastThumbnails(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id, sha, ok := thumbnailPath(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		_, m, ok := s.currentSession(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		data, mime, full, err := s.db.ImageData(r.Context(), id, true)
		if err != nil || !strings.HasPrefix(full, sha) {
			next.ServeHTTP(w, r)
			return
		}

		h := w.Header()
		setSecurityHeaders(h)
		etag := `"` + full[:32] + "-thumb.jpg" + `"`
		h.Set("Content-Type", mime)
		h.Set("Cache-Control", "private, max-age=31536000, immutable")
		h.Set("ETag", etag)
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		status := http.StatusOK
		if etagMatch(r.Header.Get("If-None-Match"), etag) {
			status = http.StatusNotModified
			w.WriteHeader(status)
		} else {
			h.Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data)
		}

		took := time.Since(start)
		if s.log.Enabled(r.Context(), slog.LevelDebug) {
			s.log.Debug("http request", "method", r.Method, "route", thumbnailRoute,
				"path", r.URL.Path, "status", status, "duration_ms", took.Milliseconds(),
				"member", m.ID)
		}
		if s.cfg.ObserveHTTP != nil {
			s.cfg.ObserveHTTP(thumbnailRoute, status, took)
		}
	})
}

// thumbnailPath reads "/files/{id}/{sha}/thumb.jpg" without a query.
func thumbnailPath(r *http.Request) (id int64, sha string, ok bool) {
	if r.Method != http.MethodGet || r.URL.RawQuery != "" {
		return 0, "", false
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/files/")
	if !ok {
		return 0, "", false
	}
	rest, ok = strings.CutSuffix(rest, "/thumb.jpg")
	if !ok {
		return 0, "", false
	}
	idText, sha, ok := strings.Cut(rest, "/")
	if !ok || len(sha) < 16 || strings.Contains(sha, "/") {
		return 0, "", false
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return 0, "", false
	}
	return id, sha, true
}
