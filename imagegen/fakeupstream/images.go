package fakeupstream

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"sync"
)

// dims is the pixel size of each aspect ratio at 1K; 2K doubles both
// sides. It mirrors the table the providers check against; the fake keeps
// its own copy so it does not import the package it is a fake for.
var dims = map[string][2]int{
	"1:1":  {1024, 1024},
	"3:4":  {864, 1184},
	"4:3":  {1184, 864},
	"9:16": {768, 1344},
	"16:9": {1344, 768},
}

// Size returns the pixel size the fake draws for an aspect ratio and a
// size ("" is 1K).
func Size(aspect, size string) (w, h int, err error) {
	d, ok := dims[aspect]
	if !ok {
		return 0, 0, fmt.Errorf("unsupported aspect ratio %q", aspect)
	}
	switch strings.ToUpper(size) {
	case "", "1K":
		return d[0], d[1], nil
	case "2K":
		return 2 * d[0], 2 * d[1], nil
	}
	return 0, 0, fmt.Errorf("unsupported image size %q", size)
}

// palette is the few colours the fake paints with. A paletted image keeps
// PNG encoding fast and the files small.
var palette = color.Palette{
	color.RGBA{0xE0, 0x6C, 0x4F, 0xFF}, color.RGBA{0x3E, 0x8E, 0xB8, 0xFF},
	color.RGBA{0x6A, 0xB0, 0x4C, 0xFF}, color.RGBA{0xF2, 0xC1, 0x4E, 0xFF},
	color.RGBA{0x8E, 0x5E, 0xA2, 0xFF}, color.RGBA{0x2B, 0x2D, 0x42, 0xFF},
	color.RGBA{0xED, 0xF2, 0xF4, 0xFF}, color.RGBA{0xD9, 0x04, 0x29, 0xFF},
}

// imageKey names one cached picture.
type imageKey struct {
	w, h, tint int
	jpeg       bool
}

// imageCache holds encoded pictures: the fake is used in benchmarks, where
// encoding a megapixel per call would measure the fake, not Atelier.
var imageCache sync.Map

// picture returns an encoded image of w×h whose colours derive from the
// prompt, as PNG or (jpegBytes) JPEG.
func picture(prompt string, w, h int, jpegBytes bool) []byte {
	k := imageKey{w: w, h: h, tint: tint(prompt), jpeg: jpegBytes}
	if b, ok := imageCache.Load(k); ok {
		return b.([]byte)
	}
	b := encode(k)
	imageCache.Store(k, b)
	return b
}

// tint picks a colour scheme from the prompt.
func tint(prompt string) int {
	h := fnv.New32a()
	h.Write([]byte(prompt))
	return int(h.Sum32() % uint32(len(palette)))
}

// encode draws four bands in the prompt's scheme and encodes them.
func encode(k imageKey) []byte {
	img := image.NewPaletted(image.Rect(0, 0, k.w, k.h), palette)
	for y := 0; y < k.h; y++ {
		c := uint8((k.tint + 4*y/k.h) % len(palette))
		row := img.Pix[y*img.Stride : y*img.Stride+k.w]
		for x := range row {
			row[x] = c
		}
	}
	var buf bytes.Buffer
	if k.jpeg {
		_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 70})
		return buf.Bytes()
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	_ = enc.Encode(&buf, img)
	return buf.Bytes()
}
