package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromium is the browser process shared by the suite; each test opens
// its own browser context in it, with its own cookies.
var chromium struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

// installHint is what to run when no Chromium can be found or installed.
const installHint = "sudo apt-get update && sudo apt-get install -y chromium"

// findChromium looks for a Chromium or Chrome executable, installing
// Debian's package when running as root with apt-get at hand.
func findChromium() (string, error) {
	names := []string{"chromium", "chromium-browser", "google-chrome",
		"google-chrome-stable"}
	if p := os.Getenv("ATELIER_CHROMIUM"); p != "" {
		names = append([]string{p}, names...)
	}
	look := func() string {
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
		}
		return ""
	}
	if p := look(); p != "" {
		return p, nil
	}

	// Install it where we may; otherwise say exactly what to run.
	if _, err := exec.LookPath("apt-get"); err == nil && os.Geteuid() == 0 {
		cmd := exec.Command("sh", "-c", "apt-get update && apt-get install -y chromium")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if p := look(); p != "" {
			return p, nil
		}
		return "", fmt.Errorf("installing chromium failed (%v):\n%s\nrun: %s",
			err, out, installHint)
	}
	return "", fmt.Errorf("no Chromium found; install it with: %s", installHint)
}

// browser starts the shared headless Chromium on first use.
func browser(t *testing.T) context.Context {
	t.Helper()
	chromium.once.Do(func() {
		path, err := findChromium()
		if err != nil {
			chromium.err = err
			return
		}
		dir, err := os.MkdirTemp("", "atelier-chromium-")
		if err != nil {
			chromium.err = err
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path), chromedp.UserDataDir(dir),
			chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("force-color-profile", "srgb"),
			chromedp.Flag("hide-scrollbars", true),
			chromedp.Flag("font-render-hinting", "none"),
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelBrowser := chromedp.NewContext(alloc)
		if err := chromedp.Do(ctx); err != nil {
			cancelBrowser()
			cancelAlloc()
			chromium.err = fmt.Errorf("starting %s: %w", path, err)
			return
		}
		chromium.ctx = ctx
		chromium.cancel = func() {
			cancelBrowser()
			cancelAlloc()
			os.RemoveAll(dir)
		}
	})
	if chromium.err != nil {
		t.Fatal(chromium.err)
	}
	return chromium.ctx
}

// TestMain stops the shared browser and removes the built binary.
func TestMain(m *testing.M) {
	code := m.Run()
	if chromium.cancel != nil {
		chromium.cancel()
	}
	if binary.path != "" {
		os.RemoveAll(strings.TrimSuffix(binary.path, "/atelier"))
	}
	os.Exit(code)
}

// tab is one isolated browser context (its own cookies) on one server.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
	dialogs []string
	accept  bool
}

// newTab opens a fresh browser context. When the test ends it fails on
// any Content-Security-Policy violation or uncaught script error the
// pages reported.
func newTab(t *testing.T, s *server) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser(t), chromedp.WithNewBrowserContext())
	b := &tab{t: t, ctx: ctx, base: s.URL, accept: true}
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}

	// Collect console messages and answer confirm dialogs as told.
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Message)
			accept := b.accept
			b.mu.Unlock()
			chromedp.Call(ctx, page.HandleJavaScriptDialog,
				page.HandleJavaScriptDialogParams{Accept: accept})
		}
	}()
	t.Cleanup(func() {
		for _, m := range b.messages() {
			if isViolation(m) {
				t.Errorf("browser console: %s (%s)", m, m.URL)
			}
		}
		cancel()
	})
	return b
}

// isViolation reports console messages the suite treats as failures.
func isViolation(m chromedp.ConsoleMessage) bool {
	return m.IsException() || strings.Contains(m.Text, "Content Security Policy") ||
		strings.Contains(m.Text, "Content-Security-Policy")
}

func (b *tab) messages() []chromedp.ConsoleMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), b.console...)
}

// do runs actions with a deadline, failing the test on an error.
func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to a path on the server and waits for the page.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path),
		chromedp.WaitReady(chromedp.CSS("body")))
}

// eval runs a JavaScript expression (awaiting a promise) and decodes it.
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

// waitJS waits until the expression is truthy in the page.
func (b *tab) waitJS(what, expr string, timeout time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		html, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](
			`document.querySelector("main") ? document.querySelector("main").innerText : ""`))
		b.t.Fatalf("waiting for %s: %v\npage text:\n%s", what, err, html)
	}
}

// text is the text content of the first element matching a selector.
func (b *tab) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(
		`(document.querySelector(%q) || {textContent: ""}).textContent.trim()`, sel))
}

// path is the page's current path and query.
func (b *tab) path() string {
	b.t.Helper()
	return eval[string](b, `location.pathname + location.search`)
}

// fill types a value into a field after clearing it.
func (b *tab) fill(sel, value string) {
	b.t.Helper()
	eval[bool](b, fmt.Sprintf(`(e => (e.value = "", true))(document.querySelector(%q))`, sel))
	b.do("fill "+sel, chromedp.SendKeys(chromedp.CSS(sel), value))
}

// click clicks the first element matching a selector.
func (b *tab) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// clickAndLoad clicks something that navigates, and waits for the new
// page to finish loading.
func (b *tab) clickAndLoad(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Steps(
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.WaitEvent(page.LoadEventFired,
				func(page.EventLoadEventFired) bool { return true },
				chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))(ctx, t)
			return err
		})))
}

// theme switches the emulated prefers-color-scheme.
func (b *tab) theme(scheme string) {
	b.t.Helper()
	b.do("theme "+scheme, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia,
			emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{
				{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	}))
}

// noScript turns page scripts off, as a browser without JavaScript.
func (b *tab) noScript() {
	b.t.Helper()
	b.do("disable scripts", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
}

// setDialogAnswer says whether the next confirm dialogs are accepted.
func (b *tab) setDialogAnswer(accept bool) {
	b.mu.Lock()
	b.accept = accept
	b.mu.Unlock()
}

// dialogCount is how many dialogs the pages opened.
func (b *tab) dialogCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.dialogs)
}

// waitAcross waits until the expression is truthy, also across page
// loads (a page that refreshes itself), ignoring errors while a new
// page replaces the old one.
func (b *tab) waitAcross(what, expr string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for %s: still false after %s (last error %v)", what, timeout, err)
		}
	}
}

// waitFor waits for a condition on the test's side.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out after %s", what, timeout)
		}
	}
}
