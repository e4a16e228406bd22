package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// report is everything one run measured.
type report struct {
	Opts     options
	SeedTime time.Duration
	DBBytes  int64
	Mixed    []summary
	MixedErr string
	Jobs     int
	IdleKB   int64
	SignInKB int64 // largest VmRSS sampled up to the end of the sign-ins
	PeakKB   int64 // largest VmRSS sampled once a second after them
	HWMKB    int64 // the kernel's VmHWM at the end
	Thumbs   *thumbCompare
}

// thumbCompare is the Atelier-versus-nginx thumbnail phase.
type thumbCompare struct {
	Atelier, Nginx, Bare summary
	Errors               string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	nginxBin := ""
	if o.Nginx {
		if nginxBin, err = findNginx(); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "atelier-load-")
	if err != nil {
		return err
	}
	if o.Keep {
		fmt.Fprintln(stderr, "keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, time.Now().Format("15:04:05 ")+format+"\n", a...)
	}

	// Build, render the sample pictures and seed the database.
	bin := o.Binary
	if bin == "" {
		logf("building atelier")
		if bin, err = buildAtelier(ctx, dir); err != nil {
			return err
		}
	}
	logf("rendering %d sample pictures", o.Samples)
	samples, err := makeSamples(ctx, o.Samples)
	if err != nil {
		return err
	}
	rep := &report{Opts: o}
	logf("seeding %d images", o.Images)
	dbPath := filepath.Join(dir, "atelier.db")
	start := time.Now()
	s, err := seed(ctx, dbPath, o.Members, o.Images, samples)
	if err != nil {
		return err
	}
	rep.SeedTime = time.Since(start)
	if fi, err := os.Stat(dbPath); err == nil {
		rep.DBBytes = fi.Size()
	}
	logf("seeded in %s, database %d MB", rep.SeedTime.Round(time.Second), rep.DBBytes>>20)

	// Start the server and measure.
	a, err := startAtelier(bin, dbPath, filepath.Join(dir, "atelier.log"))
	if err != nil {
		return err
	}
	defer a.stop()
	time.Sleep(time.Second)
	rep.IdleKB, _ = procStatus(a.cmd.Process.Pid, "VmRSS")
	logf("atelier serving on %s, RSS %d MB", a.Addr, rep.IdleKB>>10)
	if err := measure(ctx, rep, o, s, samples, a, dir, nginxBin, logf); err != nil {
		return err
	}
	rep.HWMKB, _ = procStatus(a.cmd.Process.Pid, "VmHWM")
	a.stop()
	rep.PeakKB = a.rss.peakKB()
	return writeReport(rep, stdout, o.Out)
}

// measure runs the mixed phase and, when asked, the thumbnail phases.
func measure(ctx context.Context, rep *report, o options, s seeded, samples []sample,
	a *atelier, dir, nginxBin string, logf func(string, ...any)) error {
	base := "http://" + a.Addr
	tr := newTransport(o.Clients + o.Members + 8)
	defer tr.CloseIdleConnections()
	signins := newRecorder()
	var jars []http.CookieJar
	for _, m := range s.Members {
		jar, err := signIn(ctx, tr, base, m, signins)
		if err != nil {
			return err
		}
		jars = append(jars, jar)
	}

	rep.SignInKB = a.rss.reset()
	logf("mixed phase: %d clients browsing, %d members generating, %s", o.Clients,
		o.Members, o.Duration)
	all, elapsed := mixedRun(ctx, tr, base, jars, o)
	all.add(signins)
	rep.Mixed, rep.Jobs, rep.MixedErr = all.summarise(elapsed), all.jobs, errorLines(all)
	if !o.Nginx || ctx.Err() != nil {
		return ctx.Err()
	}
	return compareNginx(ctx, rep, o, s, samples, tr, jars[0], base, dir, nginxBin, logf)
}

// mixedRun has o.Clients browsers and o.Members generators work for
// o.Duration and returns their merged records.
func mixedRun(ctx context.Context, tr http.RoundTripper, base string,
	jars []http.CookieJar, o options) (*merged, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	all := newMerged()
	var wg sync.WaitGroup
	start := time.Now()
	for i := range o.Clients {
		wg.Go(func() {
			b := &browser{c: newClient(tr, jars[i%len(jars)]), base: base,
				rec: newRecorder(), rng: rand.New(rand.NewPCG(uint64(i), 1))}
			b.run(ctx)
			all.add(b.rec)
		})
	}
	for i := range min(o.Members, len(jars)) {
		wg.Go(func() {
			g := &generator{c: newClient(tr, jars[i]), base: base, rec: newRecorder(),
				n: i + 1, poll: o.Poll}
			g.run(ctx)
			all.add(g.rec)
		})
	}
	wg.Wait()
	return all, time.Since(start)
}

// compareNginx fetches the same thumbnails from Atelier and then from
// nginx, with the same clients for the same time.
func compareNginx(ctx context.Context, rep *report, o options, s seeded,
	samples []sample, tr http.RoundTripper, jar http.CookieJar, base, dir, nginxBin string,
	logf func(string, ...any)) error {
	ts := thumbTargets(s, samples, o.ThumbPool, rand.New(rand.NewPCG(42, 42)))
	root := filepath.Join(dir, "www")
	if err := writeThumbFiles(root, s, samples, ts); err != nil {
		return err
	}

	// nginx's workers run as an unprivileged user when started by root:
	// let them reach the files.
	os.Chmod(dir, 0o711)
	logf("thumbnail phase: atelier, %d clients, %d distinct thumbnails", o.Clients, len(ts))
	am, ae := thumbRun(ctx, tr, jar, base, ts, o.Clients, o.Duration)

	n, err := startNginx(nginxBin, filepath.Join(dir, "nginx"), root)
	if err != nil {
		return err
	}
	logf("thumbnail phase: nginx on %s", n.Addr)
	nm, ne := thumbRun(ctx, tr, jar, "http://"+n.Addr, ts, o.Clients, o.Duration)
	n.stop()

	addr, stop, err := startBare(root)
	if err != nil {
		return err
	}
	defer stop()
	logf("thumbnail phase: bare Go net/http on %s", addr)
	bm, be := thumbRun(ctx, tr, jar, "http://"+addr, ts, o.Clients, o.Duration)

	rep.Thumbs = &thumbCompare{Atelier: am.summarise(ae)[0], Nginx: nm.summarise(ne)[0],
		Bare: bm.summarise(be)[0], Errors: errorLines(am) + errorLines(nm) + errorLines(bm)}
	return nil
}
