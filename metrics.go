package main

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"atelier/db"
	"atelier/imagegen"
	"atelier/jobs"
)

// metrics is Atelier's Prometheus registry and the Runner's Metrics.
type metrics struct {
	reg     *prometheus.Registry
	calls   *prometheus.CounterVec
	latency *prometheus.HistogramVec
	tokens  *prometheus.CounterVec
	usd     *prometheus.CounterVec
	http    *prometheus.HistogramVec
	retries *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "atelier_upstream_requests_total",
			Help: "Upstream calls by model, outcome class and HTTP status.",
		}, []string{"model", "outcome", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "atelier_generation_seconds",
			Help:    "Duration of upstream generation calls.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
		}, []string{"model"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "atelier_tokens_charged_total",
			Help: "Quota tokens charged to members.",
		}, []string{"model"}),
		usd: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "atelier_usd_charged_total",
			Help: "US dollars charged to members.",
		}, []string{"model"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "atelier_upstream_retries_total",
			Help: "Upstream calls sent again, by model and the failure that caused it.",
		}, []string{"model", "class"}),
		http: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "atelier_http_request_seconds",
			Help:    "HTTP request duration by route pattern and status class.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"route", "code"}),
	}
	m.reg.MustRegister(m.calls, m.latency, m.tokens, m.usd, m.http, m.retries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watchThumbCache exports the thumbnail cache's counters, read from
// stats at each scrape.
func (m *metrics) watchThumbCache(stats func() db.ThumbCacheStats) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "atelier_thumb_cache_hits_total",
			Help: "Thumbnails served from memory.",
		}, func() float64 { return float64(stats().Hits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "atelier_thumb_cache_misses_total",
			Help: "Thumbnails read from the database.",
		}, func() float64 { return float64(stats().Misses) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "atelier_thumb_cache_bytes",
			Help: "Bytes of thumbnails held in memory.",
		}, func() float64 { return float64(stats().Bytes) }),
	)
}

// ObserveCall counts one upstream call by its outcome.
func (m *metrics) ObserveCall(model, group string, err error, d time.Duration) {
	outcome, status := "ok", "200"
	var ge *imagegen.Error
	if errors.As(err, &ge) {
		outcome, status = className(ge.Class), strconv.Itoa(ge.Status)
	} else if err != nil {
		outcome, status = "error", "0"
	}
	m.calls.WithLabelValues(model, outcome, status).Inc()
	m.latency.WithLabelValues(model).Observe(d.Seconds())
}

// ObserveHTTP records one HTTP request by route pattern; unmatched paths
// share one label so a scan of random URLs cannot grow the series.
func (m *metrics) ObserveHTTP(route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.http.WithLabelValues(route, strconv.Itoa(status/100)+"xx").Observe(d.Seconds())
}

// ObserveRetry counts a call about to be sent again.
func (m *metrics) ObserveRetry(model, class string) {
	m.retries.WithLabelValues(model, class).Inc()
}

// ObserveCharge adds what one call charged.
func (m *metrics) ObserveCharge(model string, tokens, micros int64) {
	m.tokens.WithLabelValues(model).Add(float64(tokens))
	m.usd.WithLabelValues(model).Add(float64(micros) / 1e6)
}

// watch exports the queue depth and limiter capacity of every group.
func (m *metrics) watch(r *jobs.Runner) {
	gauge := func(name, help string, f func(jobs.GroupState) float64) {
		desc := prometheus.NewDesc(name, help, []string{"group"}, nil)
		m.reg.MustRegister(collectorFunc{desc: desc, collect: func(ch chan<- prometheus.Metric) {
			for _, g := range r.Groups() {
				ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, f(g), g.Name)
			}
		}})
	}
	gauge("atelier_queue_depth", "Jobs waiting per limit group.",
		func(g jobs.GroupState) float64 { return float64(g.Waiting) })
	gauge("atelier_limiter_requests_available", "Requests the limiter could send now.",
		func(g jobs.GroupState) float64 { n, _ := g.Limiter.Available(); return float64(n) })
	gauge("atelier_limiter_tokens_available", "Tokens the limiter could send now.",
		func(g jobs.GroupState) float64 { _, n := g.Limiter.Available(); return float64(n) })
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// collectorFunc is a collector built from one description and a function.
type collectorFunc struct {
	desc    *prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c collectorFunc) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c collectorFunc) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

func className(c imagegen.Class) string { return jobs.ClassName(c) }
