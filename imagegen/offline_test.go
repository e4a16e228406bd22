package imagegen

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"testing"
)

// offlineGenerate renders req offline or stops the test.
func offlineGenerate(t testing.TB, req Request) Result {
	t.Helper()
	res, err := NewOffline().Generate(context.Background(), req)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", req, err)
	}
	return res
}

// mustDecodePNG decodes an offline image or stops the test.
func mustDecodePNG(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return img
}

func TestOfflineDeterministic(t *testing.T) {
	req := Request{Prompt: "a lighthouse in a storm", AspectRatio: "1:1",
		Size: "1K", Seed: 7, Count: 1}
	a := offlineGenerate(t, req).Images[0].Data
	b := offlineGenerate(t, req).Images[0].Data
	if !bytes.Equal(a, b) {
		t.Fatal("same request gave different bytes")
	}

	// Each input that names the picture must change it.
	changes := map[string]Request{
		"prompt": {Prompt: "a lighthouse in the sun", AspectRatio: "1:1",
			Size: "1K", Seed: 7},
		"seed": {Prompt: req.Prompt, AspectRatio: "1:1", Size: "1K", Seed: 8},
	}
	for name, other := range changes {
		if bytes.Equal(a, offlineGenerate(t, other).Images[0].Data) {
			t.Errorf("changing the %s left the bytes the same", name)
		}
	}
}

func TestOfflineCountGivesDistinctImages(t *testing.T) {
	res := offlineGenerate(t, Request{Prompt: "three cats", AspectRatio: "4:3",
		Size: "1K", Count: 3})
	if len(res.Images) != 3 {
		t.Fatalf("got %d images, want 3", len(res.Images))
	}
	for i := range res.Images {
		for j := i + 1; j < len(res.Images); j++ {
			if bytes.Equal(res.Images[i].Data, res.Images[j].Data) {
				t.Errorf("images %d and %d are identical", i, j)
			}
		}
	}
	u := res.Usage
	if !u.Reported || u.ImageTokens != 3 {
		t.Errorf("usage = %+v, want reported with 3 image tokens", u)
	}
	if c := mustModel(t, "offline").Cost(u, 3); c != 0 {
		t.Errorf("offline cost = %d, want 0", c)
	}
}

func TestOfflineDimensions(t *testing.T) {
	cases := []struct {
		aspect, size string
		w, h         int
	}{
		{"1:1", "1K", 1024, 1024},
		{"3:4", "1K", 864, 1184},
		{"4:3", "1K", 1184, 864},
		{"9:16", "1K", 768, 1344},
		{"16:9", "1K", 1344, 768},
		{"16:9", "2K", 2688, 1536},
		{"1:1", "", 1024, 1024}, // default size
	}
	for _, tc := range cases {
		t.Run(tc.aspect+"@"+tc.size, func(t *testing.T) {
			res := offlineGenerate(t, Request{Prompt: "dims", AspectRatio: tc.aspect,
				Size: tc.size})
			im := res.Images[0]
			b := mustDecodePNG(t, im.Data).Bounds()
			if b.Dx() != tc.w || b.Dy() != tc.h || im.Width != tc.w ||
				im.Height != tc.h {
				t.Errorf("decoded %dx%d, reported %dx%d, want %dx%d",
					b.Dx(), b.Dy(), im.Width, im.Height, tc.w, tc.h)
			}
			if im.MIME != "image/png" || DetectMIME(im.Data) != "image/png" {
				t.Errorf("MIME = %q", im.MIME)
			}
		})
	}
}

func TestOfflineNotBlank(t *testing.T) {
	res := offlineGenerate(t, Request{Prompt: "x", AspectRatio: "9:16", Size: "1K"})
	img := mustDecodePNG(t, res.Images[0].Data)

	// Count distinct colours on a grid; a flat or near-flat picture has few.
	seen := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	if len(seen) < 1000 {
		t.Errorf("only %d distinct colours", len(seen))
	}
}

func TestOfflineBadRequest(t *testing.T) {
	bad := []Request{
		{Prompt: "p", AspectRatio: "2:1", Size: "1K"},
		{Prompt: "p", AspectRatio: "1:1", Size: "4K"},
		{Prompt: "p", AspectRatio: "1:1", Size: "1K", Count: 5},
	}
	for _, req := range bad {
		_, err := NewOffline().Generate(context.Background(), req)
		var e *Error
		if !errors.As(err, &e) || e.Class != ClassBadRequest {
			t.Errorf("Generate(%+v) = %v, want ClassBadRequest", req, err)
		}
	}
}

func TestOfflineCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := NewOffline().Generate(ctx, Request{Prompt: "p",
		AspectRatio: "1:1", Size: "1K"})
	var e *Error
	if !errors.As(err, &e) || e.Code != "CANCELLED" || len(res.Images) != 0 {
		t.Errorf("cancelled Generate = %d images, %v", len(res.Images), err)
	}
}

func TestWrapCaption(t *testing.T) {
	cases := []struct {
		text string
		cols int
		want []string
	}{
		{"a b c", 10, []string{"a b c"}},
		{"one two three", 8, []string{"one two", "three"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"aa bb cc dd ee", 5, []string{"aa bb", "cc dd", "ee"}},
		{"aa bb cc dd ee ff gg", 5, []string{"aa bb", "cc dd", "ee..."}},
		{"café\tnoir", 20, []string{"caf? noir"}},
		{"   ", 10, nil},
	}
	for _, tc := range cases {
		got := wrapCaption(tc.text, tc.cols, 3)
		if len(got) != len(tc.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.text, tc.cols, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("wrap(%q, %d) = %q, want %q", tc.text, tc.cols, got, tc.want)
				break
			}
		}
	}
}

// BenchmarkOfflineGenerate measures one 1K square picture, render and
// PNG encode, on one goroutine.
func BenchmarkOfflineGenerate(b *testing.B) {
	o := NewOffline()
	req := Request{Prompt: "a red fox in a snowy birch forest at dawn, " +
		"soft light, film grain", AspectRatio: "1:1", Size: "1K", Count: 1}
	var size int
	for i := 0; b.Loop(); i++ {
		req.Seed = int64(i)
		res, err := o.Generate(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		size = len(res.Images[0].Data)
	}
	b.ReportMetric(float64(size), "png-bytes")
}
