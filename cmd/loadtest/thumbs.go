package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// thumbTarget is one thumbnail URL path and the size its answer must have.
type thumbTarget struct {
	Path string
	Size int
}

// thumbTargets picks up to n images at random and returns their
// thumbnail paths, as the gallery links them.
func thumbTargets(s seeded, samples []sample, n int, rng *rand.Rand) []thumbTarget {
	idx := rng.Perm(len(s.Images))[:min(n, len(s.Images))]
	out := make([]thumbTarget, 0, len(idx))
	for _, i := range idx {
		im := s.Images[i]
		out = append(out, thumbTarget{
			Path: fmt.Sprintf("/files/%d/%s/thumb.jpg", im.ID, im.SHA256[:16]),
			Size: len(samples[im.Sample].Thumb)})
	}
	return out
}

// writeThumbFiles writes each target's bytes under root at the same
// path, so nginx answers the very URLs Atelier does.
func writeThumbFiles(root string, s seeded, samples []sample, ts []thumbTarget) error {
	byPath := map[string][]byte{}
	for _, im := range s.Images {
		p := fmt.Sprintf("/files/%d/%s/thumb.jpg", im.ID, im.SHA256[:16])
		byPath[p] = samples[im.Sample].Thumb
	}
	for _, t := range ts {
		file := filepath.Join(root, filepath.FromSlash(t.Path))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, byPath[t.Path], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// thumbRun fetches random targets from base with the given number of
// clients until d has passed, checking every answer's size.
func thumbRun(ctx context.Context, tr http.RoundTripper, jar http.CookieJar, base string,
	ts []thumbTarget, clients int, d time.Duration) (*merged, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	all := newMerged()
	var wg sync.WaitGroup
	start := time.Now()
	for i := range clients {
		wg.Go(func() {
			rec := newRecorder()
			c := newClient(tr, jar)
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for ctx.Err() == nil {
				t := ts[rng.IntN(len(ts))]
				res, err := get(ctx, c, base+t.Path, kindThumb, rec)
				if err == nil && len(res.body) != t.Size {
					rec.note(kindThumb, fmt.Sprintf("%s: %d bytes, want %d", t.Path,
						len(res.body), t.Size))
				}
			}
			all.add(rec)
		})
	}
	wg.Wait()
	return all, time.Since(start)
}
