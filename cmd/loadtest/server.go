package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// moduleRoot finds the directory holding Atelier's go.mod: from the go
// tool when it answers, else by walking up from the working directory.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if dir := strings.TrimSpace(string(out)); err == nil && dir != "" {
		return dir, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// buildAtelier compiles the real binary into dir.
func buildAtelier(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "atelier")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// atelier is a running Atelier process.
type atelier struct {
	cmd  *exec.Cmd
	Addr string
	rss  *rssSampler
}

// startAtelier runs the binary on a free loopback port with the offline
// renderer and limits high enough that the limiter never holds a job.
// Its log goes to logPath.
func startAtelier(bin, dbPath, logPath string) (*atelier, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", dbPath,
		"--offline", "--rpm", "6000", "--tpm", "6000", "--daily-tokens", "0",
		"--monthly-usd", "0", "--team-monthly-usd", "0", "--max-queued", "20")

	// A bare environment: no provider key can leak in from ours.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	a := &atelier{cmd: cmd}
	if a.Addr, err = readAddr(stdout); err != nil {
		a.stop()
		return nil, fmt.Errorf("%w (log in %s)", err, logPath)
	}
	a.rss = sampleRSS(cmd.Process.Pid)
	return a, nil
}

// readAddr waits for the "serving on" line and returns its address.
func readAddr(stdout interface{ Read([]byte) (int, error) }) (string, error) {
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "serving on http://"); ok {
				lines <- strings.Fields(rest)[0]
			}
		}
		close(lines)
	}()
	select {
	case addr, ok := <-lines:
		if !ok {
			return "", errors.New("atelier exited before serving")
		}
		return addr, nil
	case <-time.After(60 * time.Second):
		return "", errors.New("atelier did not start within 60 s")
	}
}

// stop asks Atelier to shut down gracefully and kills it after a bound.
func (a *atelier) stop() {
	if a.rss != nil {
		a.rss.stop()
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { a.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		a.cmd.Process.Kill()
		<-done
	}
}

// rssSampler reads a process's resident set size every second.
type rssSampler struct {
	pid  int
	mu   sync.Mutex
	peak int64 // largest VmRSS sampled, in kB
	quit chan struct{}
	done chan struct{}
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{pid: pid, quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.quit:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) sample() {
	kb, err := procStatus(s.pid, "VmRSS")
	if err != nil {
		return
	}
	s.mu.Lock()
	s.peak = max(s.peak, kb)
	s.mu.Unlock()
}

// peakKB returns the largest sampled VmRSS.
func (s *rssSampler) peakKB() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// reset starts a new peak and returns the one before it.
func (s *rssSampler) reset() int64 {
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.peak
	s.peak = 0
	return p
}

func (s *rssSampler) stop() {
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	<-s.done
}

// procStatus reads one "Field: N kB" line of /proc/PID/status.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || name != field {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			break
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
