package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"atelier/imagegen/fakeupstream"
)

// providerKey is the key the observability test configures; it must never
// show up in a log line, a page or an error.
const providerKey = "AIzaTEST-provider-key-0123456789"

// TestLogsAndMetricsShowRateLimits runs a job against a fake upstream that
// answers 429 and then 503 before it succeeds, and finds the 429s and the
// retries in the log and in /metrics, and the key nowhere.
func TestLogsAndMetricsShowRateLimits(t *testing.T) {
	const model = "gemini-2.5-flash-image"
	fake := fakeupstream.New(fakeupstream.Config{APIKey: providerKey,
		Script: map[string][]fakeupstream.Fault{model: {
			fakeupstream.FaultRateLimit{Delay: 300 * time.Millisecond},
			fakeupstream.FaultStatus{Code: http.StatusServiceUnavailable},
			fakeupstream.FaultOK{},
		}}})
	up := httptest.NewServer(fake)
	defer up.Close()

	srv := startServer(t, map[string]string{"GEMINI_API_KEY": providerKey,
		"GOOGLE_GEMINI_BASE_URL": up.URL}, "--log-format", "json")
	b := newBrowser(t, srv.URL)
	b.post("/setup", url.Values{"name": {"ada"}, "password": {"analytical-engine"}})
	res := b.post("/jobs", url.Values{"prompt": {"a harbour at night"}, "model": {model},
		"aspect_ratio": {"1:1"}, "size": {"1K"}, "count": {"1"}})
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("job not accepted: %d", res.StatusCode)
	}

	deadline := time.Now().Add(time.Minute)
	for {
		res, body := b.get(loc)
		if res.Header.Get("Refresh") == "" {
			if !bytes.Contains(body, []byte(`data-status="done"`)) {
				t.Fatalf("job did not finish done:\n%s", body)
			}
			if bytes.Contains(body, []byte(providerKey)) {
				t.Error("the job page shows the provider key")
			}
			// Its thumbnail twice: read from the database, then from memory.
			file := regexp.MustCompile(`/files/\d+/[0-9a-f]+/`).Find(body)
			for range 2 {
				if res, _ := b.get(string(file) + "thumb.jpg"); res.StatusCode != 200 {
					t.Fatalf("thumbnail under %s: status %d", file, res.StatusCode)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("job still running after a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st := fake.Stats(model); st.Requests != 3 || st.RateLimited != 1 {
		t.Errorf("upstream saw %+v, want 3 requests with one 429", st)
	}

	log := srv.stderr.String()
	for _, want := range []string{`"class":"rate_limited"`, `"class":"overload"`,
		`"msg":"job done"`, `"route":"POST /jobs"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s", want)
		}
	}

	mres, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(mres.Body)
	mres.Body.Close()
	for _, want := range []string{
		`atelier_upstream_requests_total{model="` + model + `",outcome="rate_limited",status="429"} 1`,
		`atelier_upstream_requests_total{model="` + model + `",outcome="overload",status="503"} 1`,
		`atelier_upstream_requests_total{model="` + model + `",outcome="ok",status="200"} 1`,
		`atelier_queue_depth{group="gemini-image"}`,
		`atelier_upstream_retries_total{class="rate_limited",model="` + model + `"} 1`,
		`atelier_upstream_retries_total{class="overload",model="` + model + `"} 1`,
		"atelier_thumb_cache_misses_total 1\n", "atelier_thumb_cache_hits_total 1\n",
	} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(log, providerKey) || bytes.Contains(metrics, []byte(providerKey)) {
		t.Error("the provider key appears in the log or the metrics")
	}
}
