package imagegen

import (
	"image"
	"math"
	"math/rand/v2"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The kinds of shape a word can become.
const (
	shapeCircle = iota // a disc with a radial gradient and a soft rim
	shapeBand          // a diagonal band fading out from its centre line
	shapeRect          // a rectangle with a sideways gradient, soft edges
)

// shape is one translucent element of a scene. Positions and sizes are
// fractions of the picture, so a scene fits any dimensions.
type shape struct {
	kind       uint32
	x, y       float64 // centre, fractions of width and height
	size       float64 // radius, half-width, fraction of the shorter side
	aspect     float64 // rectangles: height over width
	angle      float64 // bands: direction of the normal, radians
	inner, out rgb     // gradient ends
	alpha      int32   // peak opacity, 0–255
}

// newShape places one shape of the given kind with a colour near hue.
func newShape(kind uint32, hue float64, light bool, rng *rand.Rand) shape {
	l := 0.62
	if light {
		l = 0.42
	}
	s := shape{
		kind:   kind,
		x:      0.1 + 0.8*rng.Float64(),
		y:      0.1 + 0.7*rng.Float64(),
		size:   0.08 + 0.22*rng.Float64(),
		aspect: 0.4 + 1.2*rng.Float64(),
		inner:  hsl(hue, 0.75, l),
		out:    hsl(hue+40+rng.Float64()*60, 0.65, l-0.12),
		alpha:  int32(150 + rng.IntN(90)),
	}

	// Bands lean at most 60° from vertical, so every row crosses a band
	// in one span and the span's ends never divide by a tiny cosine.
	s.angle = (2*rng.Float64() - 1) * math.Pi / 3
	return s
}

// paint draws the shape into img.
func (s shape) paint(img *image.RGBA) {
	switch s.kind {
	case shapeCircle:
		s.paintCircle(img)
	case shapeBand:
		s.paintBand(img)
	default:
		s.paintRect(img)
	}
}

// shorterSide is the shorter side of img in pixels.
func shorterSide(img *image.RGBA) float64 {
	return float64(min(img.Rect.Dx(), img.Rect.Dy()))
}

// paintCircle draws a disc whose colour runs from inner at the centre to
// out at the rim, fading over the outer fifth. Only the span of each row
// inside the disc is visited.
func (s shape) paintCircle(img *image.RGBA) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cx, cy := s.x*float64(w), s.y*float64(h)
	r := s.size * shorterSide(img)
	y0, y1 := max(int(cy-r), 0), min(int(cy+r)+1, h)
	for y := y0; y < y1; y++ {
		dy := float64(y) - cy
		half := math.Sqrt(max(r*r-dy*dy, 0))
		x0, x1 := max(int(cx-half), 0), min(int(cx+half)+1, w)
		row := img.Pix[y*img.Stride:]
		for x := x0; x < x1; x++ {
			dx := float64(x) - cx
			t := math.Sqrt(dx*dx+dy*dy) / r
			if t >= 1 {
				continue
			}
			a := s.alpha
			if t > 0.8 {
				a = int32(float64(a) * (1 - t) * 5)
			}
			blend(row[x*4:x*4+3], s.inner.lerp(s.out, int32(t*256)), a)
		}
	}
}

// paintBand draws a diagonal band through the shape's centre whose
// opacity falls off linearly from its centre line to its edges.
func (s shape) paintBand(img *image.RGBA) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	nx, ny := math.Cos(s.angle), math.Sin(s.angle)
	c := s.x*float64(w)*nx + s.y*float64(h)*ny
	hw := s.size * shorterSide(img) * 0.5
	for y := range h {
		// The row meets the band where |x*nx + y*ny - c| < hw.
		base := c - float64(y)*ny
		xa, xb := (base-hw)/nx, (base+hw)/nx
		x0, x1 := max(int(min(xa, xb)), 0), min(int(max(xa, xb))+1, w)
		tone := s.inner.lerp(s.out, int32(y*256/h))
		row := img.Pix[y*img.Stride:]
		for x := x0; x < x1; x++ {
			d := math.Abs(float64(x)*nx-base) / hw
			if d >= 1 {
				continue
			}
			blend(row[x*4:x*4+3], tone, int32(float64(s.alpha)*(1-d)*0.8))
		}
	}
}

// paintRect draws an axis-aligned rectangle with a left-to-right gradient
// whose edges fade over a few percent of the picture.
func (s shape) paintRect(img *image.RGBA) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	hw := s.size * shorterSide(img)
	hh := hw * s.aspect
	cx, cy := s.x*float64(w), s.y*float64(h)
	x0, x1 := max(int(cx-hw), 0), min(int(cx+hw), w)
	y0, y1 := max(int(cy-hh), 0), min(int(cy+hh), h)
	feather := max(int32(shorterSide(img)*0.03), 1)

	// The gradient runs sideways, so every row shares one set of colours.
	tones := make([]rgb, max(x1-x0, 0))
	for i := range tones {
		tones[i] = s.inner.lerp(s.out, int32(i*256/len(tones)))
	}
	for y := y0; y < y1; y++ {
		dy := int32(min(y-y0, y1-1-y))
		row := img.Pix[y*img.Stride:]
		for x := x0; x < x1; x++ {
			edge := min(dy, int32(min(x-x0, x1-1-x)))
			a := s.alpha * min(edge, feather) / feather
			blend(row[x*4:x*4+3], tones[x-x0], a)
		}
	}
}

// Caption layout, in font pixels before scaling.
const (
	captionLines = 3 // longer prompts end in "..."
	captionPad   = 8
)

// paintCaption sets the prompt in small type on a dark translucent strip
// near the bottom. The 7×13 bitmap face is drawn once into a mask and
// scaled by whole pixels, so 2K pictures get the same relative size.
func paintCaption(img *image.RGBA, prompt string) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	scale := max(w/1024, 1)
	face := basicfont.Face7x13
	cols := (w/scale - 2*captionPad) / face.Advance
	lines := wrapCaption(prompt, cols, captionLines)
	if len(lines) == 0 {
		return
	}

	// Rasterise the lines into a mask at font size.
	mw := w / scale
	mh := len(lines)*face.Height + 2*captionPad
	mask := image.NewAlpha(image.Rect(0, 0, mw, mh))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face}
	for i, ln := range lines {
		d.Dot = fixed.P(captionPad, captionPad+face.Ascent+i*face.Height)
		d.DrawString(ln)
	}

	// Darken the strip, then paint the glyphs white through the mask.
	top := h - mh*scale - h/40
	white, black := rgb{250, 250, 245}, rgb{}
	for y := max(top, 0); y < top+mh*scale && y < h; y++ {
		mrow := mask.Pix[(y-top)/scale*mask.Stride:]
		row := img.Pix[y*img.Stride:]
		for x := range w {
			p := row[x*4 : x*4+3]
			blend(p, black, 120)
			if m := int32(mrow[x/scale]); m > 0 {
				blend(p, white, m)
			}
		}
	}
}

// wrapCaption breaks text into at most maxLines lines of at most cols
// characters, at spaces where it can. Runes the bitmap face lacks become
// '?', and text that does not fit ends in "...".
func wrapCaption(text string, cols, maxLines int) []string {
	if cols < 4 {
		return nil
	}
	words := strings.Fields(strings.Map(captionRune, text))
	var lines []string
	cur := ""
	for _, wd := range words {
		for len(wd) > cols { // split words longer than a line
			lines, cur = pushLine(lines, cur), wd[:cols]
			wd = wd[cols:]
		}
		if cur != "" && len(cur)+1+len(wd) > cols {
			lines, cur = pushLine(lines, cur), wd
			continue
		}
		cur = strings.TrimPrefix(cur+" "+wd, " ")
	}
	lines = pushLine(lines, cur)
	if len(lines) <= maxLines {
		return lines
	}

	// Too long: keep maxLines and mark the cut.
	lines = lines[:maxLines]
	last := lines[maxLines-1]
	lines[maxLines-1] = last[:min(len(last), cols-3)] + "..."
	return lines
}

// pushLine appends a non-empty line.
func pushLine(lines []string, s string) []string {
	if s == "" {
		return lines
	}
	return append(lines, s)
}

// captionRune keeps printable ASCII, since the face has nothing else.
func captionRune(r rune) rune {
	if r == '\t' || r == '\n' || r == '\r' {
		return ' '
	}
	if r < 0x20 || r > 0x7e {
		return '?'
	}
	return r
}
