package handlers

import (
	"errors"
	"testing"

	"atelier/imagegen"
)

// FuzzGeminiDecode feeds arbitrary bodies to the Gemini-protocol request
// decoders: no panic; a body is either refused with Google's wording, or
// becomes a form that the studio's own validation then judges.
func FuzzGeminiDecode(f *testing.F) {
	f.Add(true, `{"contents":[{"parts":[{"text":"a kite"}]}],"generationConfig":`+
		`{"imageConfig":{"aspectRatio":"16:9","imageSize":"2k"},"seed":"42"}}`)
	f.Add(true, `{"contents":[{"parts":[{"inlineData":{"data":"AAAA"}}]}]}`)
	f.Add(true, `{"contents":"nope"}`)
	f.Add(true, `{"generationConfig":{"candidateCount":2},"contents":[{"parts":[{"text":"x"}]}]}`)
	f.Add(false, `{"instances":[{"prompt":"a kite"}],"parameters":{"sampleCount":"3",`+
		`"aspectRatio":"9:16","sampleImageSize":"1K","seed":7}}`)
	f.Add(false, `{"instances":[],"parameters":{"sampleCount":1e400}}`)
	f.Add(false, `[`)

	cat := imagegen.DefaultCatalog()
	f.Fuzz(func(t *testing.T, generate bool, body string) {
		decode := predictForm
		model := "imagen-4.0-generate-001"
		if generate {
			decode, model = genContentForm, "gemini-2.5-flash-image"
		}
		form, err := decode(model, []byte(body))
		if err != nil {
			var bad errBadPayload
			if !errors.As(err, &bad) || bad.msg == "" {
				t.Fatalf("refusal without Google's wording: %T %v", err, err)
			}
			return
		}
		if form.Prompt == "" {
			t.Fatal("decoded a request with no prompt")
		}
		req, ok := form.validate(cat.Lookup)
		if ok && (req.Count < 1 || req.Count > 4 || req.Model != model) {
			t.Fatalf("validated an impossible request %+v", req)
		}
	})
}
