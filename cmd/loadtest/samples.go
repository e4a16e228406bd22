package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"sync"

	"golang.org/x/image/draw"

	"atelier/imagegen"
)

// sample is one distinct picture: a small PNG standing in for the image
// and the real thumbnail Atelier would make of the full render.
type sample struct {
	Prompt      string
	AspectRatio string
	PNG         []byte
	Width       int
	Height      int
	Thumb       []byte
}

// dataSide bounds the stored PNG. The load test never downloads full
// images, so a small one keeps a 100,000-image database a sane size
// while the thumbnails stay the real 384-pixel JPEGs.
const dataSide = 128

var (
	subjects = []string{"a red fox", "a lighthouse", "an old tram", "a paper crane",
		"a desert cactus", "a jazz trio", "a glass teapot", "a mountain hut"}
	settings = []string{"in snow at dawn", "under a violet storm", "on a quiet harbour",
		"in a neon alley", "among autumn leaves", "at golden hour"}
	ratios = []string{"1:1", "4:3", "3:4", "16:9", "9:16"}
)

// makeSamples renders n distinct pictures with the offline renderer, in
// parallel, and derives each one's thumbnail exactly as Atelier does.
func makeSamples(ctx context.Context, n int) ([]sample, error) {
	out := make([]sample, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	r := imagegen.NewOffline()
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = makeSample(ctx, r, i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func makeSample(ctx context.Context, r *imagegen.Offline, i int) (sample, error) {
	s := sample{
		Prompt: fmt.Sprintf("%s %s, study %d", subjects[i%len(subjects)],
			settings[(i/len(subjects))%len(settings)], i),
		AspectRatio: ratios[i%len(ratios)],
	}
	res, err := r.Generate(ctx, imagegen.Request{Model: "offline", Prompt: s.Prompt,
		AspectRatio: s.AspectRatio, Size: "1K", Count: 1})
	if err != nil {
		return s, fmt.Errorf("render sample %d: %w", i, err)
	}
	full := res.Images[0].Data
	if s.Thumb, err = imagegen.Thumbnail(full, 384); err != nil {
		return s, err
	}
	s.PNG, s.Width, s.Height, err = shrinkPNG(full, dataSide)
	return s, err
}

// shrinkPNG scales a PNG so its longest side is at most side pixels.
func shrinkPNG(data []byte, side int) ([]byte, int, int, error) {
	src, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, err
	}
	b := src.Bounds()
	w, h := side, b.Dy()*side/b.Dx()
	if b.Dy() > b.Dx() {
		w, h = b.Dx()*side/b.Dy(), side
	}
	dst := image.NewRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
	var buf bytes.Buffer
	if err := png.Encode(&buf, dst); err != nil {
		return nil, 0, 0, err
	}
	return buf.Bytes(), dst.Bounds().Dx(), dst.Bounds().Dy(), nil
}
