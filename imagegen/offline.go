package imagegen

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/fnv"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"unicode"
)

// Offline renders pictures locally, with no upstream and no key: the
// provider for demos, development and tests. Each picture is a soft
// abstract composition whose palette and shapes come from the prompt's
// words, with the prompt itself in small type along the bottom, so
// different prompts look different and a glance shows which prompt made
// which picture. The same prompt, seed, aspect ratio, size and index
// always give the same bytes.
type Offline struct {
	model Model
	enc   png.Encoder

	// slots holds one token per CPU. Rendering is pure computation, so
	// more renders at once than cores only multiplies the memory held by
	// their pixel buffers (4 MB each at 1K, 16 MB at 2K).
	slots chan struct{}
}

// NewOffline returns the offline renderer, priced and weighted as the
// default catalog's "offline" model.
func NewOffline() *Offline {
	m, _ := DefaultCatalog().Lookup("offline")
	return &Offline{
		model: m,
		enc: png.Encoder{
			// BestSpeed: the pictures are smooth, so the file is still
			// small, and encoding is most of the render time.
			CompressionLevel: png.BestSpeed,
			BufferPool:       &pngPool{},
		},
		slots: make(chan struct{}, runtime.GOMAXPROCS(0)),
	}
}

// pngPool lets concurrent renders reuse the encoder's row buffers.
type pngPool struct{ p sync.Pool }

// Get returns a pooled encoder buffer, or nil for a fresh one.
func (b *pngPool) Get() *png.EncoderBuffer {
	v, _ := b.p.Get().(*png.EncoderBuffer)
	return v
}

// Put returns a buffer to the pool.
func (b *pngPool) Put(v *png.EncoderBuffer) { b.p.Put(v) }

// Generate renders req.Count pictures (1 when zero). It never filters and
// always reports usage: the image tokens are the model's weight per image,
// and the caller prices them from the catalog (zero for offline). A
// cancelled context ends the render with a ClassTransient *Error.
func (o *Offline) Generate(ctx context.Context, req Request) (Result, error) {
	// Check the request against the offline model.
	if req.Count == 0 {
		req.Count = 1
	}
	req.Size = o.model.sizeOrDefault(req.Size)
	if err := o.model.CheckRequest(req); err != nil {
		return Result{}, err
	}
	w, h, err := Dims(req.AspectRatio, req.Size)
	if err != nil {
		return Result{}, invalidRequest(err.Error())
	}

	// Render each picture from its own seed, so index i differs.
	res := Result{Usage: Usage{
		Reported:    true,
		ImageTokens: o.model.Weight(req.Size) * int64(req.Count),
	}}
	select {
	case o.slots <- struct{}{}:
		defer func() { <-o.slots }()
	case <-ctx.Done():
		return Result{}, offlineCancelled(ctx.Err())
	}
	for i := range req.Count {
		img, err := o.render(ctx, req, i, w, h)
		if err != nil {
			return Result{}, err
		}
		res.Images = append(res.Images, img)
	}
	return res, nil
}

// render draws and encodes picture i of req.
func (o *Offline) render(ctx context.Context, req Request, i, w, h int) (Image, error) {
	// The background paints every pixel, so a reused buffer needs no
	// clearing.
	pix := pixels(w * h * 4)
	defer pixPool.Put(pix)
	rgba := &image.RGBA{Pix: *pix, Stride: w * 4, Rect: image.Rect(0, 0, w, h)}
	sc := newScene(req, i)

	// Paint back to front, checking for cancellation between layers.
	paintBackground(rgba, sc)
	for _, s := range sc.shapes {
		if err := ctx.Err(); err != nil {
			return Image{}, offlineCancelled(err)
		}
		s.paint(rgba)
	}
	paintCaption(rgba, req.Prompt)

	var buf bytes.Buffer
	if err := o.enc.Encode(&buf, rgba); err != nil {
		return Image{}, &Error{Class: ClassTransient, Reason: "offline encode: " +
			err.Error()}
	}
	return Image{Data: buf.Bytes(), MIME: "image/png", Width: w, Height: h}, nil
}

// pixPool keeps pixel buffers between renders: at a few megabytes each
// they would otherwise be most of the garbage the server makes.
var pixPool sync.Pool

// pixels returns a pooled buffer of n bytes.
func pixels(n int) *[]byte {
	if p, ok := pixPool.Get().(*[]byte); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]byte, n)
	return &b
}

// offlineCancelled reports a render stopped by its context.
func offlineCancelled(err error) *Error {
	return &Error{Class: ClassTransient, Code: "CANCELLED",
		Reason: "offline render stopped: " + err.Error()}
}

// scene is everything a picture is made of, decided before any pixel.
type scene struct {
	corners [4]rgb // background: top-left, top-right, bottom-left, bottom-right
	shapes  []shape
}

// newScene derives a picture's palette and shapes from the prompt's words,
// and their placement from a generator seeded by the whole request.
func newScene(req Request, index int) scene {
	words := promptWords(req.Prompt)
	rng := rand.New(rand.NewPCG(requestSeed(req, index), uint64(len(words))))

	// Palette: one hue per word; a wordless prompt still gets colour.
	hues := make([]float64, 0, len(words)+2)
	for _, wd := range words {
		hues = append(hues, wordHue(wd))
	}
	for len(hues) < 2 {
		hues = append(hues, rng.Float64()*360)
	}

	// Background: a dark or light wash between the first two hues.
	light := wordHash(strings.Join(words, " "))&1 == 1
	l0, l1 := 0.18, 0.30
	if light {
		l0, l1 = 0.82, 0.70
	}
	sc := scene{corners: [4]rgb{
		hsl(hues[0], 0.45, l0), hsl(hues[1], 0.5, l1),
		hsl(hues[1]+30, 0.5, l1), hsl(hues[0]+200, 0.4, l0),
	}}

	// Shapes: one per word, at least four, at most twelve.
	n := min(max(len(words), 4), 12)
	for k := range n {
		hue := hues[k%len(hues)] + rng.Float64()*24 - 12
		kind := uint32(k)
		if k < len(words) {
			kind = wordHash(words[k])
		}
		sc.shapes = append(sc.shapes, newShape(kind%3, hue, light, rng))
	}
	return sc
}

// promptWords returns the prompt's words, lower-cased.
func promptWords(prompt string) []string {
	return strings.FieldsFunc(strings.ToLower(prompt), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// wordHue is the hue a word lends the palette: its own for a colour
// name, so "blue whale" comes out blue, else one its hash picks.
func wordHue(word string) float64 {
	switch word {
	case "red", "crimson", "fire":
		return 0
	case "orange", "autumn", "sunset":
		return 28
	case "gold", "golden", "yellow", "sun":
		return 50
	case "green", "forest", "grass":
		return 120
	case "teal", "cyan", "ice":
		return 180
	case "blue", "sea", "ocean", "sky", "whale":
		return 215
	case "purple", "violet", "night":
		return 270
	case "pink", "rose", "magenta":
		return 320
	}
	return float64(wordHash(word) % 360)
}

// wordHash is a stable hash of one word (FNV-1a).
func wordHash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// requestSeed folds everything that must change the picture into a seed.
func requestSeed(req Request, index int) uint64 {
	h := fnv.New64a()
	var n [8]byte
	for _, v := range []int64{req.Seed, int64(index)} {
		binary.LittleEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	for _, s := range []string{req.Prompt, req.AspectRatio, req.Size} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// rgb is one colour, 0–255 per channel.
type rgb struct{ r, g, b int32 }

// hsl converts hue (degrees, any range), saturation and lightness (0–1).
func hsl(h, s, l float64) rgb {
	h = math.Mod(math.Mod(h, 360)+360, 360) / 60
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(h, 2)-1))
	var r, g, b float64
	switch int(h) {
	case 0:
		r, g = c, x
	case 1:
		r, g = x, c
	case 2:
		g, b = c, x
	case 3:
		g, b = x, c
	case 4:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := l - c/2
	to := func(v float64) int32 { return int32(math.Round((v + m) * 255)) }
	return rgb{to(r), to(g), to(b)}
}

// lerp mixes a toward b by t/256.
func (a rgb) lerp(b rgb, t int32) rgb {
	return rgb{
		a.r + (b.r-a.r)*t/256,
		a.g + (b.g-a.g)*t/256,
		a.b + (b.b-a.b)*t/256,
	}
}

// blend paints c over the pixel at p[0:3] with opacity a (0–255).
func blend(p []byte, c rgb, a int32) {
	p[0] = byte((int32(p[0])*(255-a) + c.r*a) / 255)
	p[1] = byte((int32(p[1])*(255-a) + c.g*a) / 255)
	p[2] = byte((int32(p[2])*(255-a) + c.b*a) / 255)
}

// paintBackground fills the picture with a bilinear wash between the four
// corner colours, writing Pix directly; Set per pixel would be ten times
// slower.
func paintBackground(img *image.RGBA, sc scene) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := range h {
		ty := int32(y * 256 / h)
		left := sc.corners[0].lerp(sc.corners[2], ty)
		right := sc.corners[1].lerp(sc.corners[3], ty)
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := range w {
			c := left.lerp(right, int32(x*256/w))
			p := row[x*4 : x*4+4 : x*4+4]
			p[0], p[1], p[2], p[3] = byte(c.r), byte(c.g), byte(c.b), 255
		}
	}
}
