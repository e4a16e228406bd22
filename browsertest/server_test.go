package browsertest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// binary is the Atelier executable built once for the whole suite.
var binary struct {
	once sync.Once
	path string
	err  error
}

// buildAtelier compiles the module's main package into a temporary
// directory, once per test run, so every test drives the real server.
func buildAtelier(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "atelier-browsertest-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "atelier")
		cmd := exec.Command("go", "build", "-o", binary.path, ".")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// server is one running Atelier process with its own fresh database.
type server struct {
	URL string

	mu  sync.Mutex
	log bytes.Buffer
}

func (s *server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.Write(p)
}

// Log returns what the server has logged so far.
func (s *server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// startServer runs the binary on a free loopback port with the offline
// renderer and a fresh database, and stops it when the test ends. Its log
// is printed only when the test fails.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	bin := buildAtelier(t)
	dir := t.TempDir()
	args = append([]string{"--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "atelier.db"),
		"--offline", "--log-level", "debug"}, args...)

	// A clean environment: no provider key or setting leaks in from the
	// machine running the tests.
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TZ=UTC"}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	s := &server{}
	cmd.Stderr = s
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", s.Log())
		}
	})

	// Wait for the line that names the address.
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			s.Write([]byte(line + "\n"))
			if rest, ok := strings.CutPrefix(line, "Atelier is serving on "); ok {
				addr <- strings.Fields(rest)[0]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case s.URL = <-addr:
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start:\n%s", s.Log())
	}
	return s
}
