package imagegen

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	// Decoders for every format DetectMIME names, so Dimensions and
	// Thumbnail read whatever an upstream sends.
	_ "image/gif"
	_ "image/png"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"
)

// thumbQuality is the JPEG quality of thumbnails: small files, and the
// gallery shows them too small for artefacts to matter.
const thumbQuality = 80

// DetectMIME names the image format from its magic bytes, or returns ""
// when the bytes are none of PNG, JPEG, WebP or GIF.
func DetectMIME(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case len(data) >= 12 && string(data[:4]) == "RIFF" &&
		string(data[8:12]) == "WEBP":
		return "image/webp"
	case bytes.HasPrefix(data, []byte("GIF87a")),
		bytes.HasPrefix(data, []byte("GIF89a")):
		return "image/gif"
	}
	return ""
}

// Dimensions returns an image's width and height without decoding pixels.
func Dimensions(data []byte) (w, h int, err error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, fmt.Errorf("image dimensions: %w", err)
	}
	return cfg.Width, cfg.Height, nil
}

// Thumbnail returns a JPEG whose longest side is maxSide pixels (smaller
// images keep their size). Transparent areas become white, since JPEG has
// no alpha and black would hide dark subjects.
func Thumbnail(data []byte, maxSide int) ([]byte, error) {
	if maxSide <= 0 {
		return nil, fmt.Errorf("thumbnail: max side %d", maxSide)
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("thumbnail: %w", err)
	}

	// Fit the longest side, keeping the ratio and at least one pixel.
	b := src.Bounds()
	w, h := fitInside(b.Dx(), b.Dy(), maxSide)

	// Scale over white; ApproxBiLinear is several times faster than
	// CatmullRom and looks the same at thumbnail size.
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{},
		draw.Src)
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)

	var buf bytes.Buffer
	err = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: thumbQuality})
	if err != nil {
		return nil, fmt.Errorf("thumbnail: %w", err)
	}
	return buf.Bytes(), nil
}

// fitInside scales w×h down so the longer side is at most maxSide.
func fitInside(w, h, maxSide int) (int, int) {
	if w <= maxSide && h <= maxSide {
		return max(w, 1), max(h, 1)
	}
	if w >= h {
		return maxSide, max(h*maxSide/w, 1)
	}
	return max(w*maxSide/h, 1), maxSide
}

// baseDims returns the pixel size of an aspect ratio at "1K". The sides
// are multiples of 16 near one megapixel, the sizes Google's image models
// answer with.
func baseDims(aspect string) (w, h int, ok bool) {
	switch aspect {
	case "1:1":
		return 1024, 1024, true
	case "3:4":
		return 864, 1184, true
	case "4:3":
		return 1184, 864, true
	case "9:16":
		return 768, 1344, true
	case "16:9":
		return 1344, 768, true
	}
	return 0, 0, false
}

// Dims returns the pixel size for an aspect ratio and a size ("1K", "2K";
// 2K doubles each side). Everything that draws or fakes an image shares
// this table so tests can check exact dimensions.
func Dims(aspect, size string) (w, h int, err error) {
	w, h, ok := baseDims(aspect)
	if !ok {
		return 0, 0, fmt.Errorf("unknown aspect ratio %q", aspect)
	}
	switch size {
	case "1K":
		return w, h, nil
	case "2K":
		return 2 * w, 2 * h, nil
	}
	return 0, 0, fmt.Errorf("unknown image size %q", size)
}
