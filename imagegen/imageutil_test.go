package imagegen

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// sampleImage returns a w×h gradient in the named format.
func sampleImage(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDetectMIME(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"png", sampleImage(t, "png", 8, 8), "image/png"},
		{"jpeg", sampleImage(t, "jpeg", 8, 8), "image/jpeg"},
		{"gif", sampleImage(t, "gif", 8, 8), "image/gif"},
		{"webp header", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "image/webp"},
		{"riff but wave", []byte("RIFF\x24\x00\x00\x00WAVEfmt "), ""},
		{"text", []byte("<html>"), ""},
		{"empty", nil, ""},
	}
	for _, tc := range cases {
		if got := DetectMIME(tc.data); got != tc.want {
			t.Errorf("%s: DetectMIME = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDimensions(t *testing.T) {
	w, h, err := Dimensions(sampleImage(t, "jpeg", 40, 24))
	if err != nil || w != 40 || h != 24 {
		t.Errorf("Dimensions = %d, %d, %v; want 40, 24", w, h, err)
	}
	if _, _, err := Dimensions([]byte("not an image")); err == nil {
		t.Error("Dimensions of text succeeded")
	}
}

func TestThumbnail(t *testing.T) {
	cases := []struct {
		name         string
		w, h, max    int
		wantW, wantH int
	}{
		{"landscape", 400, 200, 100, 100, 50},
		{"portrait", 96, 300, 150, 48, 150},
		{"small stays", 60, 30, 384, 60, 30},
		{"offline 16:9", 1344, 768, 384, 384, 219},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			th, err := Thumbnail(sampleImage(t, "png", tc.w, tc.h), tc.max)
			if err != nil {
				t.Fatal(err)
			}
			if DetectMIME(th) != "image/jpeg" {
				t.Errorf("thumbnail MIME = %q", DetectMIME(th))
			}
			w, h, err := Dimensions(th)
			if err != nil || w != tc.wantW || h != tc.wantH {
				t.Errorf("thumbnail %dx%d (%v), want %dx%d",
					w, h, err, tc.wantW, tc.wantH)
			}
		})
	}
	if _, err := Thumbnail([]byte("junk"), 100); err == nil {
		t.Error("Thumbnail of junk succeeded")
	}
}

func TestDims(t *testing.T) {
	if w, h, err := Dims("3:4", "2K"); err != nil || w != 1728 || h != 2368 {
		t.Errorf("Dims(3:4, 2K) = %d, %d, %v", w, h, err)
	}
	for _, in := range [][2]string{{"2:1", "1K"}, {"1:1", "4K"}, {"1:1", ""}} {
		if _, _, err := Dims(in[0], in[1]); err == nil {
			t.Errorf("Dims(%q, %q) succeeded", in[0], in[1])
		}
	}
}
