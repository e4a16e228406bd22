package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"atelier/db"
)

// buildOnce builds the real binary once per test run.
var buildOnce struct {
	sync.Once
	path string
	err  error
}

// atelierBinary returns the path of the real binary, built with go build.
func atelierBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "atelier-bin")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "atelier")
		out, err := exec.Command("go", "build", "-o", buildOnce.path, ".").CombinedOutput()
		if err != nil {
			buildOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.path
}

// proc is the real binary running as a child process.
type proc struct {
	cmd    *exec.Cmd
	URL    string
	stderr *syncBuffer
	done   chan error
}

// startProc runs the binary serving on a free loopback port with env
// added to a minimal environment, and returns once it says where.
func startProc(t testing.TB, bin, dbPath string, env []string) *proc {
	t.Helper()
	p := &proc{stderr: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(bin, "--addr", "127.0.0.1:0", "--db", dbPath)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.kill(syscall.SIGKILL) })

	// The first line names the address.
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("atelier did not start: %v\n%s", err, p.stderr)
	}
	go io.Copy(io.Discard, out)
	i := strings.Index(line, "http://")
	if i < 0 {
		t.Fatalf("unexpected first line %q", line)
	}
	p.URL = strings.Fields(line[i:])[0]
	return p
}

// kill sends sig and waits for the process to end.
func (p *proc) kill(sig syscall.Signal) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// addMember runs "atelier user add NAME" with the password on stdin.
func addMember(t testing.TB, bin, dbPath, name, password string) {
	t.Helper()
	cmd := exec.Command(bin, "user", "add", name, "--db", dbPath)
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("user add %s: %v\n%s", name, err, out)
	}
}

// client is a signed-in member posting as a same-origin page would.
type client struct {
	base string
	c    *http.Client
}

// signIn signs a member in over HTTP.
func signIn(t testing.TB, base, name, password string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{base: base, c: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
	res, err := c.post("/login", url.Values{"name": {name}, "password": {password}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in of %s: %v %v", name, res, err)
	}
	return c
}

func (c *client) post(path string, v url.Values) (*http.Response, error) {
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := c.c.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res, nil
}

// queue posts the studio form and returns the new job's id.
func (c *client) queue(model, prompt string, count int) (int64, error) {
	res, err := c.post("/jobs", url.Values{"model": {model}, "prompt": {prompt},
		"aspect_ratio": {"1:1"}, "size": {"1K"}, "count": {strconv.Itoa(count)}})
	if err != nil {
		return 0, err
	}
	loc := res.Header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/jobs/"), 10, 64)
	if res.StatusCode != http.StatusSeeOther || err != nil {
		return 0, fmt.Errorf("queue answered %d (location %q)", res.StatusCode, loc)
	}
	return id, nil
}

// waitJobs polls the database until none of ids is queued or running.
func waitJobs(t testing.TB, store *db.DB, ids []int64, limit time.Duration) []db.Job {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var out []db.Job
		active := 0
		for _, id := range ids {
			j, err := store.Job(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if j.Active() {
				active++
			}
			out = append(out, j)
		}
		if active == 0 {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs still active after %v", active, len(ids), limit)
		}
		time.Sleep(100 * time.Millisecond) // polling another process
	}
}

// processEnv is the environment of a server talking to the fake at url
// with no member budgets, at rpm requests and tokens a minute.
func processEnv(url string, rpm int) []string {
	return []string{"GEMINI_API_KEY=test-key", "GOOGLE_GEMINI_BASE_URL=" + url,
		fmt.Sprintf("ATELIER_RPM=%d", rpm), fmt.Sprintf("ATELIER_TPM=%d", rpm),
		"ATELIER_DAILY_TOKENS=0", "ATELIER_MONTHLY_USD=0", "ATELIER_TEAM_MONTHLY_USD=0",
		"ATELIER_MAX_QUEUED=1000", "ATELIER_LOG_LEVEL=warn"}
}
