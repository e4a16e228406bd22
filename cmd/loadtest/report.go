package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
)

// Targets the report checks against.
const (
	rssTargetMB = 150
	ratioTarget = 0.7
)

// writeReport prints the report as Markdown to w and, when path is set,
// to that file too.
func writeReport(r *report, w io.Writer, path string) error {
	var b bytes.Buffer
	o := r.Opts
	fmt.Fprintf(&b, "Setup: %d images seeded in %s (database %d MB), %d clients browsing, "+
		"%d members generating, %s per phase, %d CPUs (clients and servers share them).\n\n",
		o.Images, r.SeedTime.Round(1e9), r.DBBytes>>20, o.Clients, o.Members, o.Duration,
		runtime.NumCPU())

	fmt.Fprintln(&b, "Mixed phase (browsing and generating at once):")
	fmt.Fprintln(&b)
	writeTable(&b, r.Mixed)
	fmt.Fprintf(&b, "\nJobs completed: %d. Errors: %d (target 0).\n", r.Jobs,
		r.Mixed[len(r.Mixed)-1].Errors)
	if r.MixedErr != "" {
		fmt.Fprint(&b, "First errors:\n"+r.MixedErr)
	}

	peak := max(r.SignInKB, r.PeakKB, r.HWMKB) >> 10
	fmt.Fprintf(&b, "\nAtelier memory: %d MB at start, peak RSS %d MB up to the end of "+
		"the sign-ins, %d MB after them (sampled each second), VmHWM %d MB "+
		"(target ≤ %d MB: %s).\n", r.IdleKB>>10, r.SignInKB>>10, r.PeakKB>>10,
		r.HWMKB>>10, rssTargetMB, verdict(peak <= rssTargetMB))

	for _, t := range r.Thumbs {
		writeThumbs(&b, t)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return err
	}
	if path == "" {
		return nil
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func writeThumbs(b *bytes.Buffer, t thumbCompare) {
	fmt.Fprintf(b, "\nThumbnails only, same URLs, clients and duration; %s:\n", t.Workload)
	fmt.Fprintln(b)
	a, n, g := t.Atelier, t.Nginx, t.Bare
	a.Kind, n.Kind = "Atelier /files/…/thumb.jpg", "nginx, same bytes as static files"
	g.Kind = "bare Go net/http, same bytes from memory"
	writeTable(b, []summary{a, n, g})
	if n.PerSecond > 0 {
		fmt.Fprintf(b, "\nBare Go / nginx: %.2f (net/http with nothing to do but "+
			"write the bytes).\n", g.PerSecond/n.PerSecond)
	}
	ratio := 0.0
	if n.PerSecond > 0 {
		ratio = a.PerSecond / n.PerSecond
	}
	if t.Judged {
		fmt.Fprintf(b, "\nAtelier / nginx thumbnails per second: %.2f (target ≥ %.1f: %s).\n",
			ratio, ratioTarget, verdict(ratio >= ratioTarget))
	} else {
		fmt.Fprintf(b, "\nAtelier / nginx thumbnails per second: %.2f. Each of these "+
			"thumbnails (%d MB in all) is as likely as any other, so Atelier's thumbnail "+
			"cache can answer at most its size's share of them and the rest read SQLite: "+
			"the worst case, shown for that; the %.1f target is checked on the gallery's "+
			"own workload above.\n", ratio, t.Bytes>>20, ratioTarget)
	}
	if t.Errors != "" {
		fmt.Fprint(b, "First errors:\n"+t.Errors)
	}
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}
