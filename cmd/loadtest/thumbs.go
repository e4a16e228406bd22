package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// thumbTarget is one thumbnail URL path and the bytes its answer must
// have.
type thumbTarget struct {
	Path string
	Data []byte
}

// thumbWorkload is what a thumbnail phase fetches: each request picks one
// of Picks at random, so a path listed k times is fetched k times as
// often. Distinct counts the paths. Judged marks the workload the 0.7
// target is checked on: the gallery's own.
type thumbWorkload struct {
	Name     string
	Picks    []thumbTarget
	Distinct int
	Bytes    int64 // of the distinct thumbnails
	Judged   bool
}

// uniformTargets picks up to n images at random and returns their
// thumbnails, each as likely as any other: a workload no cache smaller
// than all n thumbnails can hold.
func uniformTargets(s seeded, samples []sample, n int, rng *rand.Rand) thumbWorkload {
	idx := rng.Perm(len(s.Images))[:min(n, len(s.Images))]
	w := thumbWorkload{Distinct: len(idx),
		Name: fmt.Sprintf("%d thumbnails, each as likely", len(idx))}
	for _, i := range idx {
		im := s.Images[i]
		w.Picks = append(w.Picks, thumbTarget{
			Path: fmt.Sprintf("/files/%d/%s/thumb.jpg", im.ID, im.SHA256[:16]),
			Data: samples[im.Sample].Thumb})
		w.Bytes += int64(len(samples[im.Sample].Thumb))
	}
	return w
}

// galleryTargets replays what the browsing clients of the mixed phase
// fetched: every thumbnail path they loaded, as often as they loaded it.
// The bytes are fetched once from Atelier (new images made during the
// mixed phase are among them), so nginx and the bare server can be given
// the same.
func galleryTargets(ctx context.Context, c *http.Client, base string,
	seen map[string]int) (thumbWorkload, error) {
	paths := make([]string, 0, len(seen))
	for p := range seen {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	w := thumbWorkload{Distinct: len(paths), Judged: true,
		Name: fmt.Sprintf("the %d thumbnails the browsing clients fetched, as often as "+
			"they fetched them", len(paths))}
	for _, p := range paths {
		res, err := get(ctx, c, base+p, kindThumb, newRecorder())
		if err != nil {
			return w, err
		}
		data := res.body
		w.Bytes += int64(len(data))
		for range seen[p] {
			w.Picks = append(w.Picks, thumbTarget{Path: p, Data: data})
		}
	}
	if len(w.Picks) == 0 {
		return w, fmt.Errorf("the browsing clients fetched no thumbnails")
	}
	return w, nil
}

// writeThumbFiles writes each target's bytes under root at the same
// path, so nginx answers the very URLs Atelier does.
func writeThumbFiles(root string, ts []thumbTarget) error {
	done := map[string]bool{}
	for _, t := range ts {
		if done[t.Path] {
			continue
		}
		done[t.Path] = true
		file := filepath.Join(root, filepath.FromSlash(t.Path))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, t.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// thumbRun fetches random picks from base with the given number of
// clients until d has passed, checking every answer's bytes.
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
				if err == nil && !bytes.Equal(res.body, t.Data) {
					rec.note(kindThumb, fmt.Sprintf("%s: %d bytes differ from the %d expected",
						t.Path, len(res.body), len(t.Data)))
				}
			}
			all.add(rec)
		})
	}
	wg.Wait()
	return all, time.Since(start)
}
