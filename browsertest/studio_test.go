package browsertest

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// watchJobs records, in the page, every status a job card shows and
// whether the Generate button was disabled while its request ran.
const watchJobs = `(() => {
  window.seen = [];
  window.buttonDisabled = false;
  const record = (n) => {
    if (n.nodeType === 1 && n.matches("[data-testid=job]")) window.seen.push(n.dataset.status);
  };
  new MutationObserver((ms) => ms.forEach((m) => m.addedNodes.forEach(record)))
    .observe(document.getElementById("jobs"), {childList: true});
  const btn = document.querySelector("[data-testid=generate]");
  new MutationObserver(() => { if (btn.disabled) window.buttonDisabled = true; })
    .observe(btn, {attributes: true});
  window.marker = "same page";
  return true;
})()`

// TestStudioGenerates types a prompt, submits it with Ctrl+Enter, and
// watches the job card go from queued to done while the header's
// remaining quota drops, all without a page load.
func TestStudioGenerates(t *testing.T) {
	s := startServer(t, "--daily-tokens", "200")
	b := newTab(t, s)
	b.setup("ada")
	b.checkA11y("empty studio")
	if got := b.text("#no-jobs"); got == "" {
		t.Error("the empty studio does not say what to do next")
	}
	before := b.text("[data-testid=tokens-left]")
	if before != "200" {
		t.Fatalf("tokens left before generating: %q", before)
	}
	eval[bool](b, watchJobs)

	// Ctrl+Enter in the prompt submits the form through htmx.
	const prompt = "a lighthouse drawn in ink, stormy sea"
	b.fill("#prompt", prompt)
	b.do("Ctrl+Enter", chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitJS("the job to finish",
		`window.seen.length > 0 && window.seen[window.seen.length-1] === "done"`, 20*time.Second)
	seen := eval[[]string](b, `window.seen`)
	if seen[0] != "queued" {
		t.Errorf("the card first showed %q, want queued (saw %v)", seen[0], seen)
	}
	if !eval[bool](b, `window.buttonDisabled`) {
		t.Error("the Generate button was not disabled while its request ran")
	}
	if got := eval[string](b, `window.marker || ""`); got != "same page" {
		t.Fatal("the page reloaded while generating")
	}

	// The header's quota dropped, the card shows the image with the
	// prompt as its alt text, and the prompt field is ready again.
	b.waitJS("the quota to drop", `document.querySelector("[data-testid=tokens-left]")`+
		`.textContent.trim() !== "200"`, 10*time.Second)
	after, _ := strconv.Atoi(b.text("[data-testid=tokens-left]"))
	if after >= 200 || after < 0 {
		t.Errorf("tokens left after one image: %d", after)
	}
	alt := eval[string](b, `document.querySelector("[data-testid=job] .thumbs img").alt`)
	if alt != prompt {
		t.Errorf("thumbnail alt %q, want the prompt", alt)
	}
	if got := b.text("[data-testid=job] time"); got == "" ||
		eval[string](b, `document.querySelector("[data-testid=job] time").title`) == "" {
		t.Error("the job's time has no relative text or no exact title")
	}
	b.checkA11y("studio with a job")

	// A prompt of only spaces is refused with the message by the field.
	b.fill("#prompt", "   ")
	b.click("[data-testid=generate]")
	b.waitJS("the prompt error", `!!document.querySelector("#prompt-error")`, 10*time.Second)
	if !eval[bool](b, `document.querySelector("#prompt-error").closest(".field")`+
		` === document.querySelector("#prompt").closest(".field")`) {
		t.Error("the prompt's error is not next to the prompt")
	}
	described := eval[string](b,
		`document.querySelector("#prompt").getAttribute("aria-describedby")`)
	if got := described; got != "prompt-error" {
		t.Errorf("the prompt is not described by its error: %q", got)
	}

	// The usage page draws the day's tokens as a bar.
	b.open("/usage")
	bars := eval[[]int](b, `[...document.querySelectorAll("svg[data-testid^=chart] rect.bar")]`+
		`.filter(r => r.getBBox().height > 0)`+
		`.map(r => Number(r.dataset.value || r.dataset.tokens || 0))`)
	total := 0
	for _, n := range bars {
		total += n
	}
	if len(bars) == 0 || total == 0 {
		t.Errorf("usage chart bars %v, want at least one drawn bar with a value", bars)
	}
	b.checkA11y("usage")
}

// TestQueuePosition saturates the limiter (one request a minute) and
// checks that a waiting job says how many jobs are ahead and when it
// starts.
func TestQueuePosition(t *testing.T) {
	s := startServer(t, "--rpm", "1", "--daily-tokens", "0")
	b := newTab(t, s)
	b.setup("ada")
	for i := range 4 {
		b.fill("#prompt", fmt.Sprintf("queued picture number %d", i+1))
		b.click("[data-testid=generate]")
		b.waitJS("the new card", fmt.Sprintf(
			`document.querySelectorAll("[data-testid=job]").length === %d`, i+1), 10*time.Second)
	}
	// Once the cards have refreshed themselves: one job waits on the
	// limiter, the others wait in the queue behind it.
	b.waitJS("a queue position", `[...document.querySelectorAll("[data-testid=queue-position]")]`+
		`.some(p => /\d+ jobs? ahead · starts in \S/.test(p.textContent)) && `+
		`[...document.querySelectorAll("[data-testid=queue-position]")]`+
		`.some(p => /Next to go/.test(p.textContent))`, 15*time.Second)
	text := eval[string](b, `[...document.querySelectorAll("[data-testid=queue-position]")]`+
		`.map(p => p.textContent.trim()).join(" | ")`)
	ahead := regexp.MustCompile(`1 job ahead · starts in (about \d+ (s|min)|a moment)`)
	if !ahead.MatchString(text) {
		t.Errorf("queue positions %q, want one that is 1 job ahead with an ETA", text)
	}

	// The job taken from the queue but still waiting on the limiter says
	// so, rather than "generating".
	next := regexp.MustCompile(`Next to go · waiting for room under the provider's limit, ` +
		`starts in (about \d+ (s|min)|a moment)`)
	if !next.MatchString(text) {
		t.Errorf("queue positions %q, want the next job waiting on the limit", text)
	}
	b.checkA11y("studio with a queue")
}
