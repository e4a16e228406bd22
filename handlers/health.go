package handlers

import (
	"encoding/json"
	"net/http"
)

// getHealthz says the process is up.
func (s *Server) getHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// getReadyz says whether Atelier can take work: the database accepts a
// write and a provider is configured.
func (s *Server) getReadyz(w http.ResponseWriter, r *http.Request) {
	status := http.StatusOK
	body := map[string]string{"database": "ok", "provider": s.cfg.ProviderName}
	if err := s.db.Ping(r.Context()); err != nil {
		status, body["database"] = http.StatusServiceUnavailable, "not writable"
		s.log.Error("readiness: database not writable", "err", err)
	}
	if s.cfg.ProviderName == "" {
		status, body["provider"] = http.StatusServiceUnavailable, "none configured"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}
