package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigSecretsFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	os.WriteFile(path, []byte("file-held-key\n"), 0o600)
	env := map[string]string{"GEMINI_API_KEY_FILE": path, "ATELIER_RPM": "90",
		"ATELIER_THUMB_CACHE_MB": "4"}
	c, err := parseConfig(
		"atelier",
		nil,
		func(k string) string { return env[k] },
		&bytes.Buffer{},
	)
	if err != nil {
		t.Fatal(err)
	}
	if c.GeminiKey != "file-held-key" || c.RPM != 90 || c.ThumbCacheMB != 4 {
		t.Errorf("key %q, rpm %d, thumbnail cache %d MiB", c.GeminiKey, c.RPM, c.ThumbCacheMB)
	}

	// A flag wins over the environment.
	c, _ = parseConfig(
		"atelier",
		[]string{"--rpm", "30"},
		func(k string) string { return env[k] },
		&bytes.Buffer{},
	)
	if c.RPM != 30 {
		t.Errorf("flag gave rpm %d, want 30", c.RPM)
	}
}

func TestConfigHelpHidesSecrets(t *testing.T) {
	env := map[string]string{
		"GEMINI_API_KEY":      "AIza-very-secret",
		"ATELIER_SESSION_KEY": strings.Repeat("s", 40),
	}
	var out bytes.Buffer
	parseConfig("atelier", []string{"-h"}, func(k string) string { return env[k] }, &out)
	if strings.Contains(out.String(), "AIza-very-secret") ||
		strings.Contains(out.String(), "ssssssss") {
		t.Error("-h prints a secret")
	}
	if !strings.Contains(out.String(), "GEMINI_API_KEY") {
		t.Error("-h does not name the key's variable")
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	for _, args := range [][]string{{"--rpm", "0"}, {"--monthly-usd", "-1"}, {"--log-format", "xml"},
		{"--max-queued", "0"}, {"--session-key", "short"}, {"--thumb-cache-mb", "-1"}} {
		none := func(string) string { return "" }
		if _, err := parseConfig("atelier", args, none, &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestUserAddAndBackupCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "a.db")
	getenv := func(string) string { return "" }
	var out bytes.Buffer

	err := run(ctx, []string{"user", "add", "ada", "--admin", "--db", dbPath}, getenv,
		strings.NewReader("a long enough password\n"), &out, &out)
	if err != nil || !strings.Contains(out.String(), `added admin "ada"`) {
		t.Fatalf("user add: %v %s", err, out.String())
	}
	err = run(ctx, []string{"user", "add", "ada", "--db", dbPath}, getenv,
		strings.NewReader("another long password\n"), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate user add: %v", err)
	}
	err = run(ctx, []string{"user", "add", "bob", "--db", dbPath}, getenv,
		strings.NewReader("short\n"), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "at least 10") {
		t.Errorf("short password: %v", err)
	}

	backup := filepath.Join(dir, "copy.db")
	err = run(ctx, []string{"backup", "--db", dbPath, backup}, getenv, nil, &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sql.Open("sqlite", "file:"+backup+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var name string
	var admin bool
	if err := b.QueryRow(`SELECT name, is_admin FROM members`).Scan(&name, &admin); err != nil ||
		name != "ada" ||
		!admin {
		t.Errorf("backup holds %q admin=%v (%v)", name, admin, err)
	}
}

func TestConfigRefusesWhatItCannotRead(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"missing secret file": {"GEMINI_API_KEY_FILE": "/nonexistent/key"},
		"rpm not a number":    {"ATELIER_RPM": "abc"},
		"budget not amount":   {"ATELIER_MONTHLY_USD": "lots"},
		"unknown log level":   {"ATELIER_LOG_LEVEL": "loud"},
	} {
		_, err := parseConfig("atelier", nil, func(k string) string { return env[k] }, &bytes.Buffer{})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCommands(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	none := func(string) string { return "" }
	if err := run(ctx, []string{"bakup", "x.db"}, none, nil, &out, &out); err == nil ||
		!strings.Contains(err.Error(), `unknown command "bakup"`) {
		t.Errorf("mistyped command: %v", err)
	}
	out.Reset()
	if err := run(ctx, []string{"help"}, none, nil, &out, &out); err != nil ||
		!strings.Contains(out.String(), "atelier user add NAME") {
		t.Errorf("help: %v %q", err, out.String())
	}
	if err := run(ctx, []string{"-h"}, none, nil, &out, &out); err != nil {
		t.Errorf("-h is an error: %v", err)
	}
}

// TestOneServerPerDatabase starts a second server on a database another
// one serves, by its path and through a symbolic link: it must refuse
// rather than resume the first one's jobs (or serve from caches the first
// one's changes do not reach).
func TestOneServerPerDatabase(t *testing.T) {
	srv := startServer(t, nil)
	alias := filepath.Join(t.TempDir(), "alias.db")
	if err := os.Symlink(srv.DBPath, alias); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{srv.DBPath, alias} {
		// A second server that does start is stopped after a while, and
		// returns no error.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := run(ctx, []string{"--addr", "127.0.0.1:0", "--db", path},
			func(string) string { return "" }, nil, io.Discard, io.Discard)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "already serving") {
			t.Fatalf("second server on %s: %v", path, err)
		}
	}
	info, err := os.Stat(srv.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("database file mode %o, want 600", perm)
	}
}

func TestCacheWarning(t *testing.T) {
	if msg := cacheWarning(16<<20, defaultMemoryLimit); msg != "" {
		t.Errorf("the default cache under the default limit warns: %s", msg)
	}
	if msg := cacheWarning(64<<20, defaultMemoryLimit); !strings.Contains(msg, "GOMEMLIMIT") {
		t.Errorf("a 64 MiB cache under an 80 MiB limit: %q", msg)
	}
}
