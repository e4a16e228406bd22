package imagegen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestGeminiSurvivesANullAnswer: an upstream that answers 200 with the
// JSON literal null (seen by fuzzing the decoder, which panics on it)
// must give a classified error, not a crash.
func TestGeminiSurvivesANullAnswer(t *testing.T) {
	for _, body := range []string{"null", "[]", `"text"`, "{}"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(body))
		}))
		g, err := NewGemini(context.Background(), GeminiConfig{APIKey: "k", BaseURL: srv.URL,
			HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = g.Generate(context.Background(), Request{Model: "gemini-2.5-flash-image",
			Prompt: "a kite", AspectRatio: "1:1", Size: "1K", Count: 1})
		if _, ok := err.(*Error); !ok {
			t.Errorf("body %s: error %T %v, want a classified *Error", body, err, err)
		}
		srv.Close()
	}
}
