package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is everything Atelier reads from flags and the environment.
// Each flag has an ATELIER_* variable (or the provider SDK's own name);
// a flag given on the command line wins over the variable.
type config struct {
	Addr      string
	DBPath    string
	LogFormat string
	LogLevel  string
	Catalog   string

	GeminiKey      string
	GeminiBaseURL  string
	VertexBaseURL  string
	VertexProject  string
	VertexLocation string
	VertexToken    string
	Offline        bool

	RPM, TPM, RPD  int64
	DailyTokens    int64
	MonthlyUSD     float64
	TeamMonthlyUSD float64
	MaxQueued      int
	ThumbCacheMB   int64
	SessionKey     string
	ShutdownGrace  time.Duration
}

// parseConfig reads flags over environment defaults.
func parseConfig(
	name string,
	args []string,
	getenv func(string) string,
	out io.Writer,
) (config, error) {
	var c config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)

	var envErrs []error
	env := func(keys ...string) string {
		for _, k := range keys {
			v, err := secretEnv(getenv, k)
			if err != nil {
				envErrs = append(envErrs, err)
			}
			if v != "" {
				return v
			}
		}
		return ""
	}
	str := func(p *string, flagName, def, usage string, keys ...string) {
		fs.StringVar(p, flagName, or(env(keys...), def), usage+envNote(keys))
	}
	num := func(p *int64, flagName string, def int64, usage string, keys ...string) {
		v := def
		if s := env(keys...); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s=%q is not a whole number", keys[0], s))
			}
			v = n
		}
		fs.Int64Var(p, flagName, v, usage+envNote(keys))
	}
	usd := func(p *float64, flagName string, def float64, usage string, keys ...string) {
		v := def
		if s := env(keys...); s != "" {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s=%q is not an amount", keys[0], s))
			}
			v = f
		}
		fs.Float64Var(p, flagName, v, usage+envNote(keys))
	}

	str(&c.Addr, "addr", "127.0.0.1:8080", "address to serve on", "ATELIER_ADDR")
	str(&c.DBPath, "db", "atelier.db", "SQLite database file", "ATELIER_DB")
	str(&c.LogFormat, "log-format", "text", "log format: text or json", "ATELIER_LOG_FORMAT")
	str(
		&c.LogLevel,
		"log-level",
		"info",
		"log level: debug, info, warn, error",
		"ATELIER_LOG_LEVEL",
	)
	str(
		&c.Catalog,
		"catalog",
		"",
		"JSON file adding to or overriding the model catalog",
		"ATELIER_CATALOG",
	)
	fs.StringVar(&c.GeminiKey, "gemini-api-key", "",
		"provider API key (prefer the environment) [GEMINI_API_KEY, GOOGLE_API_KEY, *_FILE]")
	str(
		&c.GeminiBaseURL,
		"gemini-base-url",
		"",
		"Gemini API base URL",
		"GOOGLE_GEMINI_BASE_URL",
	)
	str(&c.VertexBaseURL, "vertex-base-url", "", "Vertex AI base URL", "GOOGLE_VERTEX_BASE_URL")
	str(&c.VertexProject, "vertex-project", "", "Vertex AI project", "GOOGLE_CLOUD_PROJECT")
	str(
		&c.VertexLocation,
		"vertex-location",
		"us-central1",
		"Vertex AI location",
		"GOOGLE_CLOUD_LOCATION",
	)
	fs.StringVar(&c.VertexToken, "vertex-token", "",
		"Vertex AI access token [ATELIER_VERTEX_TOKEN, *_FILE]")
	fs.BoolVar(&c.Offline, "offline", env("ATELIER_OFFLINE") == "1",
		"use only the offline renderer, even with a key [ATELIER_OFFLINE=1]")
	num(&c.RPM, "rpm", 60, "provider requests per minute, per model group", "ATELIER_RPM")
	num(&c.TPM, "tpm", 60, "provider tokens per minute, per model group", "ATELIER_TPM")
	num(&c.RPD, "rpd", 0, "provider requests per day, per model group (0: none)", "ATELIER_RPD")
	num(&c.DailyTokens, "daily-tokens", 200, "default member budget: tokens per day (0: none)",
		"ATELIER_DAILY_TOKENS")
	usd(&c.MonthlyUSD, "monthly-usd", 50, "default member budget: USD per month (0: none)",
		"ATELIER_MONTHLY_USD")
	usd(&c.TeamMonthlyUSD, "team-monthly-usd", 500, "team budget: USD per month (0: none)",
		"ATELIER_TEAM_MONTHLY_USD")
	var maxQueued int64
	num(&maxQueued, "max-queued", 20, "queued jobs a member may hold", "ATELIER_MAX_QUEUED")
	num(&c.ThumbCacheMB, "thumb-cache-mb", 16,
		"memory for recently served thumbnails, in MiB (0: off)", "ATELIER_THUMB_CACHE_MB")
	fs.StringVar(&c.SessionKey, "session-key", "",
		"cookie signing key, 32+ bytes (default: kept in the database) [ATELIER_SESSION_KEY]")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", 30*time.Second,
		"how long in-flight provider calls may run after SIGTERM")

	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.MaxQueued = int(maxQueued)

	// Secrets are read after parsing so that -h never prints them.
	c.GeminiKey = or(c.GeminiKey, env("GEMINI_API_KEY", "GOOGLE_API_KEY"))
	c.VertexToken = or(c.VertexToken, env("ATELIER_VERTEX_TOKEN"))
	c.SessionKey = or(c.SessionKey, env("ATELIER_SESSION_KEY"))
	return c, errors.Join(errors.Join(envErrs...), c.validate())
}

func (c config) validate() error {
	var errs []error
	if c.RPM < 1 || c.TPM < 1 || c.RPD < 0 {
		errs = append(errs, errors.New("--rpm and --tpm must be at least 1, --rpd at least 0"))
	}
	if c.DailyTokens < 0 || c.MonthlyUSD < 0 || c.TeamMonthlyUSD < 0 ||
		math.IsNaN(c.MonthlyUSD) || math.IsNaN(c.TeamMonthlyUSD) {
		errs = append(errs, errors.New("budgets cannot be negative"))
	}
	if c.MaxQueued < 1 {
		errs = append(errs, errors.New("--max-queued must be at least 1"))
	}
	if c.ThumbCacheMB < 0 || c.ThumbCacheMB > 1<<20 {
		errs = append(errs, errors.New("--thumb-cache-mb must be between 0 and 1048576"))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level must be debug, info, warn or error, not %q",
			c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(
			errs,
			fmt.Errorf("--log-format must be text or json, not %q", c.LogFormat),
		)
	}
	if c.SessionKey != "" && len(c.SessionKey) < 32 {
		errs = append(errs, errors.New("the session key must be at least 32 bytes"))
	}
	return errors.Join(errs...)
}

// secretEnv reads an environment variable, or, when NAME_FILE is set, the
// file it names, so secrets can come from a mounted file.
// A NAME_FILE that cannot be read is an error: a wrong path must not
// quietly leave Atelier without its key.
func secretEnv(getenv func(string) string, name string) (string, error) {
	if v := getenv(name); v != "" {
		return v, nil
	}
	path := getenv(name + "_FILE")
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func envNote(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return " [" + strings.Join(keys, ", ") + "]"
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func micros(usd float64) int64 { return int64(math.Round(usd * 1e6)) }
