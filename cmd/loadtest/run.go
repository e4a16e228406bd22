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
	Thumbs   []thumbCompare
}

// thumbCompare is one workload's Atelier-versus-nginx thumbnail phases.
type thumbCompare struct {
	Workload             string
	Judged               bool
	Bytes                int64
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
	gallery, err := galleryTargets(ctx, newClient(tr, jars[0]), base, all.thumbs)
	if err != nil {
		return err
	}
	uniform := uniformTargets(s, samples, o.ThumbPool, rand.New(rand.NewPCG(42, 42)))
	return compareThumbs(ctx, rep, o, []thumbWorkload{gallery, uniform}, tr, jars[0], base,
		dir, nginxBin, logf)
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

// compareThumbs runs each workload against Atelier, nginx and the bare
// Go server, with the same clients for the same total time. Atelier goes
// first, straight after the mixed phase, with what that phase left in its
// memory; nginx and the bare server have the files just written.
func compareThumbs(ctx context.Context, rep *report, o options, ws []thumbWorkload,
	tr http.RoundTripper, jar http.CookieJar, base, dir, nginxBin string,
	logf func(string, ...any)) error {
	root := filepath.Join(dir, "www")
	for _, w := range ws {
		if err := writeThumbFiles(root, w.Picks); err != nil {
			return err
		}
	}
	// nginx's workers run as an unprivileged user when started by root:
	// let them reach the files.
	os.Chmod(dir, 0o711)
	n, err := startNginx(nginxBin, filepath.Join(dir, "nginx"), root)
	if err != nil {
		return err
	}
	defer n.stop()
	bareAddr, stopBare, err := startBare(root)
	if err != nil {
		return err
	}
	defer stopBare()

	servers := []struct{ name, url string }{{"atelier", base},
		{"nginx on " + n.Addr, "http://" + n.Addr},
		{"bare Go net/http on " + bareAddr, "http://" + bareAddr}}
	for _, w := range ws {
		// Each server's time is cut into rounds taken in turn, so that
		// whatever else the machine does during the phase falls on all
		// three alike.
		logf("thumbnail phases: %s, %d clients, %d rounds of %s per server", w.Name,
			o.Clients, thumbRounds, o.Duration/thumbRounds)
		var got [3]*merged
		var took [3]time.Duration
		for range thumbRounds {
			for i, sv := range servers {
				m, elapsed := thumbRun(ctx, tr, jar, sv.url, w.Picks, o.Clients,
					o.Duration/thumbRounds)
				if got[i] == nil {
					got[i] = newMerged()
				}
				got[i].add(&m.recorder)
				took[i] += elapsed
			}
		}
		rep.Thumbs = append(rep.Thumbs, thumbCompare{Workload: w.Name, Judged: w.Judged, Bytes: w.Bytes,
			Atelier: got[0].summarise(took[0])[0], Nginx: got[1].summarise(took[1])[0],
			Bare:   got[2].summarise(took[2])[0],
			Errors: errorLines(got[0]) + errorLines(got[1]) + errorLines(got[2])})
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// thumbRounds is how many turns each server gets in a thumbnail phase.
const thumbRounds = 6
