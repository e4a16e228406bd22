package imagegen_test

import (
	"encoding/json"
	"strings"
	"testing"

	"atelier/imagegen"
	"atelier/imagegen/fakeupstream"
)

const (
	imagenModel = "imagen-4.0-generate-001"
	testToken   = "ya29.TEST-bearer-token"
)

// newImagen returns a provider on the Gemini API, or on Vertex, pointed
// at a fresh fake.
func newImagen(t *testing.T, vertex bool) (*fakeupstream.Server, *imagegen.Imagen) {
	t.Helper()
	fake, ts := startFake(t, fakeupstream.Config{BearerToken: testToken})
	cfg := imagegen.ImagenConfig{APIKey: testKey, BaseURL: ts.URL, HTTPClient: ts.Client()}
	if vertex {
		cfg = imagegen.ImagenConfig{Vertex: true, Project: "proj", Location: "us-central1",
			AccessToken: testToken, BaseURL: ts.URL, HTTPClient: ts.Client()}
	}
	im, err := imagegen.NewImagen(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return fake, im
}

func TestImagenShapes(t *testing.T) {
	shapes := []shape{
		{name: "four images", fault: fakeupstream.FaultOK{}, images: 4, mime: "image/png",
			check: func(t *testing.T, res imagegen.Result, _ *imagegen.Error) {
				for _, img := range res.Images {
					if img.Width != 864 || img.Height != 1184 {
						t.Errorf("image %dx%d, want 864x1184 for 3:4", img.Width, img.Height)
					}
				}
				if res.Usage.Reported || len(res.Filtered) != 0 {
					t.Errorf("usage %+v filtered %v, want none", res.Usage, res.Filtered)
				}
				if !strings.Contains(res.RewrittenPrompt, "a quiet harbour") {
					t.Errorf("rewritten prompt %q", res.RewrittenPrompt)
				}
			}},
		{name: "some filtered", fault: fakeupstream.FaultFilterSome{N: 2, Reason: "filtered: people"},
			images: 2, mime: "image/png",
			check: func(t *testing.T, res imagegen.Result, _ *imagegen.Error) {
				if len(res.Filtered) != 2 || res.Filtered[0] != "filtered: people" {
					t.Errorf("filtered %q, want 2 reasons", res.Filtered)
				}
			}},
		{name: "all filtered", fault: fakeupstream.FaultFilterAll{Reason: "violates guidelines"},
			images: -1, class: imagegen.ClassBlocked,
			reason: "withheld every image: violates guidelines",
			check: func(t *testing.T, _ imagegen.Result, e *imagegen.Error) {
				if e.Usage != (imagegen.Usage{}) {
					t.Errorf("usage %+v, want none billed", e.Usage)
				}
			}},
		{name: "empty predictions", fault: fakeupstream.FaultEmptyPredictions{}, images: -1,
			class: imagegen.ClassNoImage, reason: "no images"},
		{name: "invalid base64", fault: fakeupstream.FaultBadBase64{}, images: -1,
			class: imagegen.ClassTransient, reason: "base64"},
		{name: "malformed json", fault: fakeupstream.FaultMalformed{}, images: -1,
			class: imagegen.ClassTransient, reason: "malformed"},
		{name: "wrong mime type", fault: fakeupstream.FaultWrongMIME{}, images: 4,
			mime: "image/jpeg"},
	}
	shapes = append(shapes, errorShapes()...)
	for _, vertex := range []bool{false, true} {
		for _, s := range shapes {
			name := "gemini-api/" + s.name
			if vertex {
				name = "vertex/" + s.name
			}
			t.Run(name, func(t *testing.T) {
				fake, im := newImagen(t, vertex)
				fake.Script(imagenModel, s.fault)
				res, err := im.Generate(t.Context(), imagegen.Request{Model: imagenModel,
					Prompt: "a quiet harbour", AspectRatio: "3:4", Size: "1K", Count: 4})
				checkShape(t, s, res, err)
				if n := fake.Stats(imagenModel).Requests; n != 1 {
					t.Errorf("upstream saw %d requests, want 1", n)
				}
			})
		}
	}
}

func TestImagenWrongToken(t *testing.T) {
	fake, ts := startFake(t, fakeupstream.Config{BearerToken: testToken})
	im, err := imagegen.NewImagen(t.Context(), imagegen.ImagenConfig{Vertex: true,
		Project: "p", Location: "l", AccessToken: "ya29.WRONG", BaseURL: ts.URL,
		HTTPClient: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = im.Generate(t.Context(), imagegen.Request{Model: imagenModel, Prompt: "x", Count: 1})
	e := asError(t, err)
	if e.Class != imagegen.ClassBadRequest || e.Status != 401 ||
		strings.Contains(e.Reason, "WRONG") {
		t.Errorf("got %d %d %q, want the key rejected without quoting it", e.Class, e.Status, e.Reason)
	}
	if fake.Stats(imagenModel).Requests != 1 {
		t.Error("no request reached the fake")
	}
}

// TestImagenContractGeminiAPI checks the plain :predict request field by
// field against the documented shape.
func TestImagenContractGeminiAPI(t *testing.T) {
	fake, im := newImagen(t, false)
	_, err := im.Generate(t.Context(), imagegen.Request{Model: imagenModel,
		Prompt: "a red bicycle", AspectRatio: "16:9", Size: "2K", Seed: 7, Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	r := onlyRequest(t, fake)
	if r.Path != "/v1beta/models/"+imagenModel+":predict" || r.Method != "POST" {
		t.Errorf("sent %s %s", r.Method, r.Path)
	}
	if r.Header.Get("x-goog-api-key") != testKey || r.Header.Get("Authorization") != "" {
		t.Errorf("auth headers %v", r.Header)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	wantJSON(t, body["instances"], `[{"prompt":"a red bicycle"}]`)
	wantJSON(t, body["parameters"], `{"aspectRatio":"16:9","includeRaiReason":true,`+
		`"personGeneration":"allow_adult","sampleCount":3,"sampleImageSize":"2K"}`)
}

// TestImagenContractVertex checks what the SDK sends to Vertex.
func TestImagenContractVertex(t *testing.T) {
	fake, im := newImagen(t, true)
	_, err := im.Generate(t.Context(), imagegen.Request{Model: imagenModel,
		Prompt: "a red bicycle", AspectRatio: "4:3", Seed: 7, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	r := onlyRequest(t, fake)
	want := "/v1beta1/projects/proj/locations/us-central1/publishers/google/models/" +
		imagenModel + ":predict"
	if r.Path != want {
		t.Errorf("path %s, want %s", r.Path, want)
	}
	if r.Header.Get("Authorization") != "Bearer "+testToken || r.Header.Get("x-goog-api-key") != "" {
		t.Errorf("auth headers %v", r.Header)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	wantJSON(t, body["instances"], `[{"prompt":"a red bicycle"}]`)
	// Vertex takes a seed only with the watermark off.
	wantJSON(t, body["parameters"], `{"addWatermark":false,"aspectRatio":"4:3",`+
		`"includeRaiReason":true,"personGeneration":"ALLOW_ADULT","sampleCount":2,"seed":7}`)
}

// TestImagenSizeFromCatalog sends sampleImageSize only to models that
// offer a choice of size.
func TestImagenSizeFromCatalog(t *testing.T) {
	cat := imagegen.DefaultCatalog()
	fake, ts := startFake(t, fakeupstream.Config{})
	im, err := imagegen.NewImagen(t.Context(), imagegen.ImagenConfig{APIKey: testKey,
		BaseURL: ts.URL, HTTPClient: ts.Client(), Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range cat.Models() {
		if m.Protocol != imagegen.ProtocolImagen {
			continue
		}
		if _, err := im.Generate(t.Context(), imagegen.Request{Model: m.ID, Prompt: "x",
			AspectRatio: "1:1", Size: m.Sizes[0], Count: 1}); err != nil {
			t.Fatal(err)
		}
		reqs := fake.Requests()
		sent := strings.Contains(string(reqs[len(reqs)-1].Body), "sampleImageSize")
		if sent != (len(m.Sizes) > 1) {
			t.Errorf("%s (sizes %v): sampleImageSize sent = %v", m.ID, m.Sizes, sent)
		}
	}
}

// onlyRequest returns the single request the fake received.
func onlyRequest(t *testing.T, fake *fakeupstream.Server) fakeupstream.Recorded {
	t.Helper()
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// TestFakeDimsMatchTable keeps the fake's private size table equal to
// the one the rest of Atelier checks images against.
func TestFakeDimsMatchTable(t *testing.T) {
	for _, ar := range []string{"1:1", "3:4", "4:3", "9:16", "16:9"} {
		for _, size := range []string{"1K", "2K"} {
			w1, h1, err1 := fakeupstream.Size(ar, size)
			w2, h2, err2 := imagegen.Dims(ar, size)
			if err1 != nil || err2 != nil || w1 != w2 || h1 != h2 {
				t.Errorf("%s %s: fake %dx%d (%v), table %dx%d (%v)",
					ar, size, w1, h1, err1, w2, h2, err2)
			}
		}
	}
}
