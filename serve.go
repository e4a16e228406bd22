package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"atelier/db"
	"atelier/handlers"
	"atelier/imagegen"
	"atelier/jobs"
	"atelier/quota"
)

// serve runs the web server until ctx ends, then shuts down gracefully:
// it stops taking requests and jobs, lets upstream calls in flight finish
// within the grace period, and leaves queued jobs for the next start.
func serve(
	ctx context.Context,
	args []string,
	getenv func(string) string,
	stdout, stderr io.Writer,
) error {
	cfg, err := parseConfig("atelier", args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)

	release, err := lockDatabase(cfg.DBPath)
	if err != nil {
		return err
	}
	defer release()

	store, err := db.Open(ctx, cfg.DBPath)
	if err != nil {
		return err
	}
	defer store.Close()
	store.CacheThumbnails(cfg.ThumbCacheMB << 20)
	if msg := cacheWarning(cfg.ThumbCacheMB<<20, debug.SetMemoryLimit(-1)); msg != "" {
		log.Warn(msg, "thumb_cache_mb", cfg.ThumbCacheMB)
	}

	catalog, err := loadCatalog(cfg.Catalog)
	if err != nil {
		return err
	}
	providers, providerName, err := buildProviders(ctx, cfg, log)
	if err != nil {
		return err
	}

	metrics := newMetrics()
	metrics.watchThumbCache(store.ThumbCacheStats)
	runCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	runner := jobs.New(jobs.Config{
		DB: store, Catalog: catalog, Providers: providers,
		Limits: func(string) quota.Limits {
			return quota.Limits{RPM: cfg.RPM, TPM: cfg.TPM, RPD: cfg.RPD}
		},
		Budgets: db.Budgets{DailyTokens: cfg.DailyTokens, MonthlyMicros: micros(cfg.MonthlyUSD),
			TeamMonthlyMicros: micros(cfg.TeamMonthlyUSD), Location: time.Local},
		MaxQueued: cfg.MaxQueued,
		Logger:    log,
		Metrics:   metrics,
	})
	metrics.watch(runner)
	if err := runner.Start(runCtx); err != nil {
		return err
	}

	keys, err := cookieKeys(ctx, store, cfg.SessionKey)
	if err != nil {
		return err
	}
	h := handlers.New(handlers.Config{DB: store, Runner: runner, Logger: log,
		CookieKeys: keys, ProviderName: providerName, Metrics: metrics.handler(),
		ObserveHTTP: metrics.ObserveHTTP})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	fmt.Fprintf(stdout, "Atelier is serving on http://%s (database %s, provider %s)\n",
		ln.Addr(), cfg.DBPath, providerName)
	log.Info("serving", "addr", ln.Addr().String(), "db", cfg.DBPath, "provider", providerName)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}

	// Stop taking requests and jobs, then give calls in flight a bound.
	log.Info("shutting down", "grace", cfg.ShutdownGrace.String())
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	srv.Shutdown(shutCtx)
	stopJobs()
	done := make(chan struct{})
	go func() { runner.Wait(); close(done) }()
	select {
	case <-done:
		log.Info("stopped cleanly")
	case <-shutCtx.Done():
		log.Warn(
			"calls still in flight at the end of the grace period; they resume at the next start",
		)
	}
	return nil
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func loadCatalog(path string) (*imagegen.Catalog, error) {
	if path == "" {
		return imagegen.DefaultCatalog(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := imagegen.LoadCatalog(f)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return c, nil
}

// cookieKeys returns the session cookie's signing and encryption keys:
// from configuration, or generated once and kept in the database so
// sessions survive restarts.
func cookieKeys(ctx context.Context, store *db.DB, configured string) ([][]byte, error) {
	gen := func() []byte {
		b := make([]byte, 64)
		rand.Read(b)
		return b
	}
	var k []byte
	if configured != "" {
		k = []byte(configured)
		if len(k) < 64 {
			k = append(k, k...)
		}
	} else {
		var err error
		if k, err = store.Secret(ctx, "cookie-keys", gen); err != nil {
			return nil, err
		}
	}
	if len(k) < 64 {
		return nil, errors.New("cookie key too short")
	}
	return [][]byte{k[:32], k[32:64]}, nil
}

// cacheWarning says when the thumbnail cache would take more than half of
// the Go runtime's memory limit: the collector would then run near the
// limit all the time.
func cacheWarning(cacheBytes, memoryLimit int64) string {
	if cacheBytes <= memoryLimit/2 {
		return ""
	}
	return fmt.Sprintf("the thumbnail cache is more than half of the Go memory limit "+
		"(%d MiB); raise GOMEMLIMIT or lower --thumb-cache-mb", memoryLimit>>20)
}
