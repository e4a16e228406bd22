package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Request kinds, as reported.
const (
	kindGallery = "gallery page"
	kindThumb   = "thumbnail"
	kindImage   = "image page"
	kindJobPost = "job post"
	kindJobPoll = "job poll"
	kindLogin   = "sign-in"
)

// kindOrder is the order of the report's rows.
var kindOrder = []string{kindGallery, kindThumb, kindImage, kindJobPost, kindJobPoll,
	kindLogin}

// recorder collects latencies and errors per kind. Each client has its
// own, so recording takes no lock; they are merged at the end.
type recorder struct {
	lat    map[string][]time.Duration
	errs   map[string]int
	sample []string       // the first few error messages
	jobs   int            // jobs seen to finish
	thumbs map[string]int // thumbnail paths browsers loaded, and how often
}

func newRecorder() *recorder {
	return &recorder{lat: map[string][]time.Duration{}, errs: map[string]int{},
		thumbs: map[string]int{}}
}

// ok records a successful request of kind that took d.
func (r *recorder) ok(kind string, d time.Duration) {
	r.lat[kind] = append(r.lat[kind], d)
}

// fail records a failed request; its latency still counts.
func (r *recorder) fail(kind string, d time.Duration, msg string) {
	r.lat[kind] = append(r.lat[kind], d)
	r.errs[kind]++
	if len(r.sample) < 5 {
		r.sample = append(r.sample, kind+": "+msg)
	}
}

// note counts an error that is not a request of its own, such as a
// page that did not parse or a job that failed.
func (r *recorder) note(kind, msg string) {
	r.errs[kind]++
	if len(r.sample) < 5 {
		r.sample = append(r.sample, kind+": "+msg)
	}
}

// merged folds recorders into one.
type merged struct {
	mu sync.Mutex
	recorder
}

func newMerged() *merged { return &merged{recorder: *newRecorder()} }

func (m *merged) add(r *recorder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range r.lat {
		m.lat[k] = append(m.lat[k], v...)
	}
	for k, v := range r.errs {
		m.errs[k] += v
	}
	for _, s := range r.sample {
		if len(m.sample) < 10 {
			m.sample = append(m.sample, s)
		}
	}
	m.jobs += r.jobs
	for p, n := range r.thumbs {
		m.thumbs[p] += n
	}
}

// summary is one kind's row in the report.
type summary struct {
	Kind          string
	Count, Errors int
	PerSecond     float64
	P50, P95, P99 time.Duration
}

// summarise computes the rows for the kinds seen over elapsed, with a
// total row last.
func (m *merged) summarise(elapsed time.Duration) []summary {
	var rows []summary
	var all []time.Duration
	total := summary{Kind: "all"}
	for _, k := range kindOrder {
		lat := m.lat[k]
		if len(lat) == 0 {
			continue
		}
		rows = append(rows, rowOf(k, lat, m.errs[k], elapsed))
		all = append(all, lat...)
		total.Errors += m.errs[k]
	}
	t := rowOf("all", all, total.Errors, elapsed)
	return append(rows, t)
}

func rowOf(kind string, lat []time.Duration, errs int, elapsed time.Duration) summary {
	s := slices.Clone(lat)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return summary{Kind: kind, Count: len(s), Errors: errs,
		PerSecond: float64(len(s)) / elapsed.Seconds(),
		P50:       percentile(s, 50), P95: percentile(s, 95), P99: percentile(s, 99)}
}

// percentile returns the nearest-rank p-th percentile of sorted values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// writeTable prints rows as a Markdown table.
func writeTable(w io.Writer, rows []summary) {
	fmt.Fprintln(w, "| kind | requests | req/s | p50 | p95 | p99 | errors |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %.1f | %s | %s | %s | %d |\n", r.Kind, r.Count,
			r.PerSecond, ms(r.P50), ms(r.P95), ms(r.P99), r.Errors)
	}
}

// ms formats a latency in milliseconds with a useful precision.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v < 10 {
		return fmt.Sprintf("%.2f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

// errorLines lists the sampled error messages, indented.
func errorLines(m *merged) string {
	var b strings.Builder
	for _, s := range m.sample {
		b.WriteString("  - " + s + "\n")
	}
	return b.String()
}
